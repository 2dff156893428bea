//! What a person sees next, as the account steps return it.

use keyhaven_protocol::accounts::SmsChallenge;
use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::session::Session;

/// The next step of signing in or up, for the program to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Enter the SMS code sent to the masked number.
    EnterCode { code_sent: SmsChallenge },
    /// The Web-Portal Statement in force (this version) needs the person's acceptance first.
    AcceptStatement { version: i64 },
    /// A browser sign-in that no account uses yet: a mobile number and the statement create one.
    SignUpWithProvider { statement_version: Option<i64> },
    /// A browser sign-in whose email is an account's with a password: that password links the
    /// provider to it, once.
    LinkWithPassword,
    /// Signed in: the master-password step that puts the account's vault on this computer.
    ConnectVault(ConnectPlan),
}

/// What connecting this computer to the signed-in account will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConnectPlan {
    /// Who is signed in.
    pub email: String,
    /// Which master password is asked, and what it does.
    pub vault_step: VaultStep,
    /// Another OS user of this computer uses the account: connecting shares every password with
    /// them, so it needs their explicit agreement.
    pub other_os_user_connected: bool,
}

/// The master-password step of connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum VaultStep {
    /// The account's first device, no vault here: a new master password creates the vault.
    CreateAccountVault,
    /// The account has no vault yet: this computer's becomes it (its master password).
    UploadLocalVault,
    /// The account's vault comes here, or is here already: its master password unlocks it.
    UnlockAccountVault,
    /// This computer has another vault: its items go into the account's (the account vault's
    /// master password; this computer's vault must be open, or its master password given).
    MergeLocalVault,
}

impl VaultStep {
    /// Whether the master password asked is a new one (then it must be strong enough).
    pub fn creates_master_password(self) -> bool {
        self == Self::CreateAccountVault
    }
}

/// What a step led to.
#[derive(Debug)]
pub enum Outcome {
    /// Show this step; what continues it is in the pending slot.
    Step(Step),
    /// This program is signed in.
    SignedIn(Box<SignedIn>),
    /// The code confirmed the new phone number.
    PhoneChanged,
    /// The code confirmed the account's new account password (it had none).
    PasswordAdded,
}

/// A new session, and whether it was shared with the other Keyhaven apps when that was asked.
#[derive(Debug)]
pub struct SignedIn {
    pub session: Session,
    /// `None` when sharing was not asked; else whether publishing the suite session worked.
    pub shared_with_apps: Option<Result<(), ClientError>>,
}
