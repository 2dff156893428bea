//! Where each OS user's vault lives, and creating it with owner-only permissions.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Result, VaultError};

/// Environment variable naming the vault file (tests, scripts, several vaults).
pub const VAULT_ENV: &str = "KEYHAVEN_VAULT";
/// Environment variable naming the per-user data directory (tests run several app instances).
pub const DATA_DIR_ENV: &str = "KEYHAVEN_DATA_DIR";
const VAULT_FILE_NAME: &str = "vault.sqlite";

/// The per-user data directory: `$KEYHAVEN_DATA_DIR`, else the platform's (e.g. `~/.local/share/keyhaven`).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("app", "Keyhaven", "keyhaven")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| VaultError::Io {
            path: PathBuf::from("~"),
            source: io::Error::new(io::ErrorKind::NotFound, "no home directory for this user"),
        })
}

/// The vault file: `$KEYHAVEN_VAULT`, else `vault.sqlite` in [`data_dir`].
pub fn default_vault_path() -> Result<PathBuf> {
    match std::env::var_os(VAULT_ENV).filter(|p| !p.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => Ok(data_dir()?.join(VAULT_FILE_NAME)),
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> VaultError + '_ {
    move |source| VaultError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the vault's directory (0700) and an empty vault file (0600); fails if a non-empty file exists.
///
/// An empty file is what a crash during creation leaves behind (the first transaction never
/// committed), so it is taken over rather than refused.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io_error(dir))?;
        }
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = fs::metadata(path).map_err(io_error(path))?;
            if meta.len() > 0 || !meta.is_file() {
                return Err(VaultError::VaultExists(path.to_path_buf()));
            }
            #[cfg(unix)]
            fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .map_err(io_error(path))?;
            Ok(())
        }
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Whether a vault is at `path`: a non-empty file (an empty one is a creation that never
/// committed).
pub fn vault_exists(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// Deletes a vault file with its SQLite journal files; a file that is not there is no error.
pub fn remove_vault_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(VaultError::Io { path: file, source }),
        }
    }
    Ok(())
}
