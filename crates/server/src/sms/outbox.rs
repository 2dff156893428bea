//! The outbox provider: appends each code as a JSON line to a file and logs a masked line.

use std::io::Write;
use std::path::PathBuf;

use super::{mask_phone, SmsError, SmsProvider};

/// Writes codes to `path` (mode 0600) instead of a carrier: self-hosting and tests.
pub struct Outbox {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl Outbox {
    /// An outbox appending to `path`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: tokio::sync::Mutex::new(()),
        }
    }
}

#[async_trait::async_trait]
impl SmsProvider for Outbox {
    async fn send(&self, phone: &str, code: &str) -> Result<(), SmsError> {
        let line = serde_json::json!({
            "to": phone,
            "code": code,
            "text": format!("Your Keyhaven security code is {code}. Never share it."),
        })
        .to_string();
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path)?;
            file.write_all(format!("{line}\n").as_bytes())?;
            file.flush()
        })
        .await
        .map_err(|e| SmsError::Outbox(std::io::Error::other(e)))??;
        tracing::info!(to = %mask_phone(phone), "SMS security code sent to the outbox");
        Ok(())
    }
}
