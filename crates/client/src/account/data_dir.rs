//! Every file Keyhaven keeps for one vault, named in one place. They all live beside the vault
//! file (`$KEYHAVEN_VAULT`, else `vault.sqlite` in the per-user data directory).

use std::path::{Path, PathBuf};

use keyhaven_vault::paths::vault_exists;
use keyhaven_vault::Vault;

use super::Program;
use crate::error::ClientError;

/// The vault file and the files beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    vault: PathBuf,
}

impl DataDir {
    /// The files of the vault at `vault`.
    pub fn for_vault(vault: impl Into<PathBuf>) -> Self {
        Self {
            vault: vault.into(),
        }
    }

    /// The vault file (SQLite; `-wal` and `-shm` beside it while open).
    pub fn vault(&self) -> &Path {
        &self.vault
    }

    /// Whether a vault exists here (a non-empty vault file).
    pub fn vault_exists(&self) -> bool {
        vault_exists(&self.vault)
    }

    /// Which account `program` is signed in to (no secret; the refresh token is in the keyring).
    pub fn session_link(&self, program: Program) -> PathBuf {
        self.beside(match program {
            Program::Desktop => "account.json",
            Program::Cli => "cli-account.json",
        })
    }

    /// A sign-in of `program` waiting for its SMS code between two runs (the CLI's; the app keeps
    /// it in memory).
    pub fn pending_sign_in(&self, program: Program) -> PathBuf {
        self.beside(match program {
            Program::Desktop => "desktop-pending-sign-in.json",
            Program::Cli => "cli-pending-sign-in.json",
        })
    }

    /// The app's connect reminders.
    pub fn reminders(&self) -> PathBuf {
        self.beside("reminders.json")
    }

    /// The app's settings.
    pub fn settings(&self) -> PathBuf {
        self.beside("settings.json")
    }

    /// Where the account's vault is built while this computer's vault is added to it.
    pub fn merging(&self) -> PathBuf {
        self.with_suffix(".merging")
    }

    /// Where this computer's vault waits, during the swap, to be removed.
    pub fn before_merge(&self) -> PathBuf {
        self.with_suffix(".before-merge")
    }

    /// Opens the vault (locked), first finishing a swap that an interruption left half done.
    pub fn open_vault(&self) -> Result<Vault, ClientError> {
        self.finish_interrupted_merge()?;
        Ok(Vault::open(&self.vault)?)
    }

    /// Completes adding this computer's vault to the account's when it was interrupted while
    /// the account's vault (complete by then) took its place: puts that in place and removes the
    /// old file. Returns whether there was anything to finish. Every program calls this before
    /// it opens the vault.
    pub fn finish_interrupted_merge(&self) -> Result<bool, ClientError> {
        let merging = self.merging();
        let before = self.before_merge();
        if !before.exists() {
            return Ok(false);
        }
        let storage = |path: &Path| {
            let path = path.display().to_string();
            move |e: std::io::Error| ClientError::Storage {
                path,
                reason: e.to_string(),
            }
        };
        if !self.vault.exists() && merging.exists() {
            std::fs::rename(&merging, &self.vault).map_err(storage(&merging))?;
        }
        if self.vault.exists() && !merging.exists() {
            keyhaven_vault::paths::remove_vault_files(&before)?;
        }
        Ok(true)
    }

    fn beside(&self, name: &str) -> PathBuf {
        self.vault.with_file_name(name)
    }

    fn with_suffix(&self, suffix: &str) -> PathBuf {
        let mut name = self.vault.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        self.vault.with_file_name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_lives_beside_the_vault() {
        let dir = DataDir::for_vault("/data/keyhaven/vault.sqlite");
        assert_eq!(
            dir.session_link(Program::Desktop),
            Path::new("/data/keyhaven/account.json")
        );
        assert_eq!(
            dir.session_link(Program::Cli),
            Path::new("/data/keyhaven/cli-account.json")
        );
        assert_eq!(
            dir.pending_sign_in(Program::Cli),
            Path::new("/data/keyhaven/cli-pending-sign-in.json")
        );
        assert_eq!(
            dir.merging(),
            Path::new("/data/keyhaven/vault.sqlite.merging")
        );
        assert_eq!(
            dir.before_merge(),
            Path::new("/data/keyhaven/vault.sqlite.before-merge")
        );
        assert_eq!(dir.settings(), Path::new("/data/keyhaven/settings.json"));
        assert_eq!(dir.reminders(), Path::new("/data/keyhaven/reminders.json"));
    }

    #[test]
    fn an_interrupted_swap_is_finished_and_the_old_vault_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::for_vault(tmp.path().join("vault.sqlite"));
        std::fs::write(dir.before_merge(), b"old").unwrap();
        std::fs::write(dir.merging(), b"new").unwrap();
        assert!(dir.finish_interrupted_merge().unwrap());
        assert_eq!(std::fs::read(dir.vault()).unwrap(), b"new");
        assert!(!dir.merging().exists());
        assert!(!dir.before_merge().exists());
        assert!(!dir.finish_interrupted_merge().unwrap());
    }

    #[test]
    fn a_swap_that_had_not_started_leaves_both_vaults() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::for_vault(tmp.path().join("vault.sqlite"));
        std::fs::write(dir.vault(), b"local").unwrap();
        std::fs::write(dir.merging(), b"half built").unwrap();
        assert!(!dir.finish_interrupted_merge().unwrap());
        assert_eq!(std::fs::read(dir.vault()).unwrap(), b"local");
        assert!(dir.merging().exists());
    }
}
