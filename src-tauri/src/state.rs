//! What the app holds between commands: where this OS user's vault lives and, while unlocked, the vault.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::generator::check_master_password;
use keyhaven_vault::{Vault, VaultError};
use serde::Serialize;
use specta::Type;

/// Whether a local vault exists and whether it is unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
pub struct VaultStatus {
    pub exists: bool,
    pub unlocked: bool,
}

/// The local vault of this app instance; `None` while locked (the key is dropped and zeroed).
pub struct AppState {
    vault_path: PathBuf,
    vault: Mutex<Option<Vault>>,
}

impl AppState {
    pub fn new(vault_path: PathBuf) -> Self {
        Self {
            vault_path,
            vault: Mutex::new(None),
        }
    }

    fn guard(&self) -> MutexGuard<'_, Option<Vault>> {
        self.vault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn status(&self) -> VaultStatus {
        let vault = self.guard();
        let on_disk = std::fs::metadata(&self.vault_path).is_ok_and(|m| m.len() > 0);
        VaultStatus {
            exists: vault.is_some() || on_disk,
            unlocked: vault.as_ref().is_some_and(Vault::is_unlocked),
        }
    }

    /// Creates the vault with a master password strong enough to protect it, and keeps it unlocked.
    pub fn create(&self, master_password: &str) -> Result<(), VaultError> {
        check_master_password(master_password, &[])?;
        let vault = Vault::create(
            &self.vault_path,
            master_password.as_bytes(),
            KdfParams::default(),
        )?;
        *self.guard() = Some(vault);
        Ok(())
    }

    /// Opens and unlocks the vault; a wrong password leaves everything as it was.
    pub fn unlock(&self, master_password: &str) -> Result<(), VaultError> {
        let mut vault = Vault::open(&self.vault_path)?;
        vault.unlock(master_password.as_bytes())?;
        *self.guard() = Some(vault);
        Ok(())
    }

    pub fn lock(&self) {
        *self.guard() = None;
    }

    /// Runs `f` on the unlocked vault, or fails with `vault_locked`.
    pub fn with_unlocked<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let mut vault = self.guard();
        f(vault.as_mut().ok_or(VaultError::Locked)?)
    }
}
