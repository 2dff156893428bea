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

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

impl From<keyhaven_vault::VaultError> for CommandError {
    fn from(err: keyhaven_vault::VaultError) -> Self {
        Self::new(err.code(), err.to_string())
    }
}

impl From<crate::settings::SettingsError> for CommandError {
    fn from(err: crate::settings::SettingsError) -> Self {
        Self::new(err.code(), err.to_string())
    }
}

impl From<crate::clipboard::ClipboardError> for CommandError {
    fn from(err: crate::clipboard::ClipboardError) -> Self {
        Self::new("clipboard_unavailable", err.to_string())
    }
}

impl From<crate::links::LinkError> for CommandError {
    fn from(err: crate::links::LinkError) -> Self {
        Self::new("url_not_opened", err.to_string())
    }
}
