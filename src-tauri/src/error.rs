//! The error every command returns: a stable `code` for the UI to map to words, and a message.

use serde::Serialize;
use specta::Type;

/// `{ code, message }`, serialized to the web view.
#[derive(Debug, Clone, Serialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl From<keyhaven_vault::VaultError> for CommandError {
    fn from(err: keyhaven_vault::VaultError) -> Self {
        Self {
            code: err.code().to_string(),
            message: err.to_string(),
        }
    }
}
