//! What can go wrong talking to the service.

use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_vault::VaultError;

/// A failed account or sync step: the service said no (with its code), it could not be reached,
/// the session ended, or the keyring or the vault refused.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with a problem document.
    #[error("{message}")]
    Service {
        code: ErrorCode,
        message: String,
        status: u16,
        retry_after_seconds: Option<u64>,
        tries_left: Option<u32>,
        statement_version: Option<i64>,
    },
    /// No answer: offline, refused, timed out. Nothing is lost; try again later.
    #[error("Keyhaven Account cannot be reached: {0}")]
    Offline(String),
    /// An answer the client does not understand (a proxy page, a newer service).
    #[error("unexpected answer from Keyhaven Account: {0}")]
    Protocol(String),
    /// This device's session ended (signed out elsewhere, revoked, expired): sign in again.
    #[error("this device is no longer signed in to Keyhaven Account; sign in again")]
    SignInRequired,
    /// The OS keyring that holds the session could not be used.
    #[error("the system keyring is not available: {0}")]
    Keyring(String),
    /// The file that names this device's account could not be read or written.
    #[error("cannot use {path}: {reason}")]
    Storage { path: String, reason: String },
    /// Removing this computer's vault would lose changes that have not reached the account.
    #[error("{0} change(s) on this computer have not reached Keyhaven Account yet; sync first, or keep the local copy")]
    UnsyncedChanges(usize),
    /// Another OS user of this computer uses this account; connecting needs their explicit
    /// agreement to share every password.
    #[error("another user of this computer is connected to this Keyhaven Account: you would share every password; confirm that, or use a separate account")]
    SharedAccountUnconfirmed,
    /// A typed confirmation (the account's email, to delete it) does not match.
    #[error("type the account's email exactly to confirm")]
    ConfirmationMismatch,
    /// The local vault is not the account's vault.
    #[error("this computer's vault is not the vault of this Keyhaven Account")]
    VaultDiffers,
    /// A sign-in in the browser (Google, Facebook, Apple) ended without a code.
    #[error(transparent)]
    BrowserSignIn(#[from] crate::browser_sign_in::BrowserSignInError),
    /// The local vault refused (wrong master password, locked, damaged file…).
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl ClientError {
    /// The service's error code, when the service answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Service { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A stable code for every error, for `{ code, message }` in the UI.
    pub fn code_str(&self) -> &'static str {
        match self {
            Self::Service { code, .. } => code.as_str(),
            Self::Offline(_) => "offline",
            Self::Protocol(_) => "protocol",
            Self::SignInRequired => "sign_in_required",
            Self::Keyring(_) => "keyring_unavailable",
            Self::Storage { .. } => "storage",
            Self::VaultDiffers => "vault_differs",
            Self::ConfirmationMismatch => "confirmation_mismatch",
            Self::SharedAccountUnconfirmed => "shared_account_unconfirmed",
            Self::UnsyncedChanges(_) => "unsynced_changes",
            Self::BrowserSignIn(err) => err.code(),
            Self::Vault(err) => err.code(),
        }
    }

    pub(crate) fn from_problem(problem: Problem) -> Self {
        Self::Service {
            code: problem.code,
            message: problem.detail.unwrap_or(problem.title),
            status: problem.status,
            retry_after_seconds: problem.retry_after_seconds,
            tries_left: problem.tries_left,
            statement_version: problem.statement_version,
        }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        let error = error.without_url();
        if error.is_decode() {
            Self::Protocol(error.to_string())
        } else {
            Self::Offline(error.to_string())
        }
    }
}
