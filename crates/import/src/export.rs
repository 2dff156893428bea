//! Every export format in one place, for the CLI and the app: which ones are sealed with a
//! password, and writing the file readable by this OS user only, in place (no temporary copy
//! holds the plaintext).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::generator::check_master_password;
use keyhaven_vault::item::Item;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{bitwarden_export, kdbx_export, keyhaven_export};

/// The formats Keyhaven writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Keyhaven's encrypted export (README: "The encrypted export file").
    Keyhaven,
    /// A KDBX 4 database that KeePassXC opens.
    Kdbx,
    /// Bitwarden's unencrypted JSON: plaintext.
    BitwardenJson,
    /// Bitwarden's CSV: plaintext.
    BitwardenCsv,
}

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the export password is too easy to guess: {0}")]
    WeakPassword(String),
    #[error("an encrypted export needs a password")]
    PasswordNeeded,
    #[error("the export could not be sealed: {0}")]
    Seal(String),
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    /// A stable code for `{ code, message }`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WeakPassword(_) => "weak_export_password",
            Self::PasswordNeeded => "export_password_needed",
            Self::Seal(_) => "export_failed",
            Self::Io { .. } => "export_not_written",
        }
    }
}

impl ExportFormat {
    /// Whether the file is sealed with a password the person chooses (else it is plaintext).
    pub fn is_sealed(self) -> bool {
        matches!(self, Self::Keyhaven | Self::Kdbx)
    }

    /// The file name a save dialog suggests.
    pub fn suggested_file_name(self) -> &'static str {
        match self {
            Self::Keyhaven => "keyhaven-export.keyhaven",
            Self::Kdbx => "keyhaven-export.kdbx",
            Self::BitwardenJson => "keyhaven-export.json",
            Self::BitwardenCsv => "keyhaven-export.csv",
        }
    }

    /// Refuses an export password that is missing or too easy to guess, before anything else.
    pub fn check_password(self, password: Option<&str>) -> Result<(), ExportError> {
        if !self.is_sealed() {
            return Ok(());
        }
        let password = password.ok_or(ExportError::PasswordNeeded)?;
        check_master_password(password, &[]).map_err(|e| match e {
            keyhaven_vault::VaultError::WeakMasterPassword(hint) => ExportError::WeakPassword(hint),
            other => ExportError::WeakPassword(other.to_string()),
        })?;
        Ok(())
    }

    /// The file's bytes; sealed formats use `password` (checked by [`Self::check_password`]).
    pub fn write(
        self,
        items: &[Item],
        password: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, ExportError> {
        self.check_password(password)?;
        let password = password.unwrap_or_default();
        let params = KdfParams::default();
        Ok(Zeroizing::new(match self {
            Self::Keyhaven => keyhaven_export::write(items, password, params)
                .map_err(|e| ExportError::Seal(e.to_string()))?,
            Self::Kdbx => kdbx_export::write(items, password, params)
                .map_err(|e| ExportError::Seal(e.to_string()))?,
            Self::BitwardenJson => bitwarden_export::json_export(items).into_bytes(),
            Self::BitwardenCsv => bitwarden_export::csv_export(items).into_bytes(),
        }))
    }
}

/// Writes `bytes` to `path`, readable by this OS user only: a new file is created 0600, an
/// existing one is narrowed to 0600 before anything is written.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io)
}
