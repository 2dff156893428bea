use std::path::PathBuf;

/// The start of every message about the service's data failing its checks.
const SERVICE_DATA_UNVERIFIED: &str =
    "The Keyhaven Account service returned a vault that does not match what your devices wrote";
const NOTHING_CHANGED: &str = "Nothing was changed on this computer.";

/// Everything that can go wrong in the vault core, each with a stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the master password is wrong")]
    WrongMasterPassword,
    #[error("the master password was changed on {device}: enter the new one")]
    MasterPasswordChanged { device: String, at: i64 },
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
    #[error("this item has no one-time code secret")]
    NoTotpSecret,
    #[error("this one-time code secret cannot make codes: {0}")]
    InvalidTotpSecret(#[from] crate::totp::TotpError),
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
    #[error("the vault key from Keyhaven Account does not open with this master password, although the password is right: the key material was changed on the service")]
    KeyMaterialTampered,
    #[error("{SERVICE_DATA_UNVERIFIED} ({0}). {NOTHING_CHANGED}")]
    ServiceStateMismatch(String),
    #[error("{SERVICE_DATA_UNVERIFIED} (it went back to revision {served}, after this computer saw {seen}). {NOTHING_CHANGED}")]
    ServiceRolledBack { seen: i64, served: i64 },
    #[error("{SERVICE_DATA_UNVERIFIED} (it came without the sealed state of the vault). {NOTHING_CHANGED}")]
    ServiceStateMissing,
    #[error("{SERVICE_DATA_UNVERIFIED} (its key material is not what the vault's sealed state names). {NOTHING_CHANGED}")]
    ServiceKeyMaterialMismatch,
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}

impl VaultError {
    /// Whether the error is about the service's data failing its checks (DESIGN §5a): nothing
    /// here changed, and nothing is pushed until it passes.
    pub fn is_unverified_service_data(&self) -> bool {
        matches!(
            self,
            Self::ServiceStateMismatch(_)
                | Self::ServiceRolledBack { .. }
                | Self::ServiceStateMissing
                | Self::ServiceKeyMaterialMismatch
        )
    }

    /// A stable snake_case code for UIs, scripts and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongMasterPassword => "wrong_master_password",
            Self::MasterPasswordChanged { .. } => "master_password_changed",
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
            Self::KeyMaterialTampered => "key_material_tampered",
            Self::ServiceStateMismatch(_) => "vault_state_mismatch",
            Self::ServiceRolledBack { .. } => "vault_rolled_back",
            Self::ServiceStateMissing => "vault_state_missing",
            Self::ServiceKeyMaterialMismatch => "key_material_mismatch",
            Self::InvalidItem(_) => "invalid_item",
            Self::NoTotpSecret => "no_totp_secret",
            Self::InvalidTotpSecret(error) => error.code(),
            Self::InvalidGeneratorOptions(_) => "invalid_generator_options",
            Self::Random => "random_failed",
            Self::Io { .. } => "io_error",
            Self::Database(_) => "database_error",
        }
    }
}

/// Shorthand for results of the vault core.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;
