use std::path::PathBuf;

/// Everything that can go wrong in the vault core, each with a stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the master password is wrong")]
    WrongMasterPassword,
    #[error("the master password is too easy to guess: {0}")]
    WeakMasterPassword(String),
    #[error("the vault is locked")]
    Locked,
    #[error("KDF parameters are too weak: {0}")]
    WeakKdfParams(String),
    #[error("KDF parameters are invalid: {0}")]
    InvalidKdfParams(String),
    #[error("data failed its integrity check (tampered, corrupted or moved)")]
    Integrity,
    #[error("unsupported item format version {0}")]
    UnsupportedFormat(u8),
    #[error("no item with id {0}")]
    ItemNotFound(String),
    #[error("a vault already exists at {}", .0.display())]
    VaultExists(PathBuf),
    #[error("no vault at {}; create one first", .0.display())]
    VaultNotFound(PathBuf),
    #[error("the vault file {} is corrupted or not a Keyhaven vault: {reason}", .path.display())]
    CorruptVault { path: PathBuf, reason: String },
    #[error("the vault file {} was written by a newer Keyhaven (schema {found}, this build knows {known})", .path.display())]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("invalid item: {0}")]
    InvalidItem(String),
    #[error("invalid generator options: {0}")]
    InvalidGeneratorOptions(String),
    #[error("the operating system's random number generator failed")]
    Random,
    #[error("cannot access {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("this vault is not connected to an account")]
    NotLinked,
    #[error("this vault syncs with another Keyhaven Account")]
    LinkedElsewhere,
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}

impl VaultError {
    /// A stable snake_case code for UIs, scripts and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongMasterPassword => "wrong_master_password",
            Self::WeakMasterPassword(_) => "weak_master_password",
            Self::Locked => "vault_locked",
            Self::WeakKdfParams(_) => "weak_kdf_params",
            Self::InvalidKdfParams(_) => "invalid_kdf_params",
            Self::Integrity => "integrity_check_failed",
            Self::UnsupportedFormat(_) => "unsupported_format",
            Self::ItemNotFound(_) => "item_not_found",
            Self::VaultExists(_) => "vault_exists",
            Self::VaultNotFound(_) => "vault_not_found",
            Self::CorruptVault { .. } => "vault_corrupt",
            Self::NewerSchema { .. } => "vault_newer_schema",
            Self::NotLinked => "vault_not_linked",
            Self::LinkedElsewhere => "vault_linked_elsewhere",
            Self::InvalidItem(_) => "invalid_item",
            Self::InvalidGeneratorOptions(_) => "invalid_generator_options",
            Self::Random => "random_failed",
            Self::Io { .. } => "io_error",
            Self::Database(_) => "database_error",
        }
    }
}

/// Shorthand for results of the vault core.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;
