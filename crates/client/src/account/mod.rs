//! The account steps every Keyhaven program goes through, written once: sign up, sign in (with
//! the account password, in the browser, or as another Keyhaven app of this computer), the SMS
//! code, connecting this computer's vault, the account's own settings, and signing out.
//!
//! [`AccountFlow`] is the API. Each step returns a typed [`Outcome`]: the next [`Step`] to show
//! (enter the code, accept the statement, give a phone number, give the account password to
//! link), or a signed-in [`Session`](crate::session::Session). What a step continues (the code
//! being waited for, the browser's one-time code) is a serializable [`Pending`] that the program
//! keeps for the next call: the app in memory, the CLI in a file between runs.

mod add_local_vault;
mod data_dir;
mod flow;
mod pending;
mod settings;
mod sign_in_methods;
mod steps;
mod vault_step;

pub use add_local_vault::{local_vault_needs_merge, merge_into_cloud_vault, MergeReport};
pub use data_dir::DataDir;
pub use flow::{AccountFlow, PasswordSignIn, SignUp};
pub use pending::{CodePurpose, Pending, PendingBrowser, PendingCode};
pub use settings::{mask_email, PasswordChanged};
pub use sign_in_methods::SignInMethodsView;
pub use steps::{ConnectPlan, Outcome, SignedIn, Step, VaultStep};
pub use vault_step::{link_state, ConnectRequest, Connected, LinkState, LocalVault, NoOpenVault};

use crate::browser_sign_in::{CLI_CLIENT_ID, DESKTOP_CLIENT_ID};

/// Which Keyhaven program is signed in: each has its own session, device and client id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// The desktop app.
    Desktop,
    /// The `keyhaven` command line.
    Cli,
}

impl Program {
    /// The name its session is filed under in the keyring, and its suite sessions carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Cli => "cli",
        }
    }

    /// The platform its device reports to the service.
    pub fn platform(self) -> &'static str {
        match self {
            Self::Desktop => "linux",
            Self::Cli => "cli",
        }
    }

    /// Its OAuth client id at the service (browser sign-in).
    pub fn client_id(self) -> &'static str {
        match self {
            Self::Desktop => DESKTOP_CLIENT_ID,
            Self::Cli => CLI_CLIENT_ID,
        }
    }
}
