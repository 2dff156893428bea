//! The error every command returns: a stable `code` for the UI to map to words, and a message.

use serde::Serialize;
use specta::Type;

/// `{ code, message }`, serialized to the web view; Keyhaven Account errors add the numbers
/// the UI explains them with.
#[derive(Debug, Clone, Serialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// Seconds until the request may be repeated (rate limits, SMS resend cooldown).
    pub retry_after_seconds: Option<u32>,
    /// Tries left for the SMS code.
    pub tries_left: Option<u32>,
    /// The Web-Portal Statement version awaiting acceptance.
    pub statement_version: Option<i64>,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
            retry_after_seconds: None,
            tries_left: None,
            statement_version: None,
        }
    }
}

impl From<keyhaven_client::ClientError> for CommandError {
    fn from(err: keyhaven_client::ClientError) -> Self {
        let mut command_error = Self::new(err.code_str(), err.to_string());
        if let keyhaven_client::ClientError::Service {
            retry_after_seconds,
            tries_left,
            statement_version,
            ..
        } = err
        {
            command_error.retry_after_seconds =
                retry_after_seconds.map(|s| u32::try_from(s).unwrap_or(u32::MAX));
            command_error.tries_left = tries_left;
            command_error.statement_version = statement_version;
        }
        command_error
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
