//! Why a file cannot be imported; each names the file and what is wrong.

/// A file that cannot be imported: nothing of it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{file} is larger than {limit_mib} MiB, more than any export of a password manager")]
    TooLarge { file: String, limit_mib: usize },
    #[error("{file} is not a {format} file: {detail}")]
    WrongFormat {
        file: String,
        format: &'static str,
        detail: String,
    },
    #[error(
        "{file} is an encrypted Bitwarden export, which Keyhaven cannot read; export again from \
         Bitwarden choosing the unencrypted .json format"
    )]
    EncryptedBitwardenExport { file: String },
    #[error("{file} is encrypted: enter its password")]
    PasswordNeeded { file: String },
    #[error("the password (or key file) for {file} is wrong")]
    WrongPassword { file: String },
    #[error("the password (or key file) for {file} is wrong, or the file is damaged")]
    WrongPasswordOrDamaged { file: String },
    #[error("the key file for {file} cannot be read: {detail}")]
    WrongKeyFile { file: String, detail: String },
    #[error("{file} was changed or damaged after it was written: it does not match its seal")]
    Changed { file: String },
}

impl ImportError {
    /// A stable code for `{ code, message }`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "import_file_too_large",
            Self::WrongFormat { .. } => "import_wrong_format",
            Self::EncryptedBitwardenExport { .. } => "import_encrypted_bitwarden",
            Self::PasswordNeeded { .. } => "import_password_needed",
            Self::WrongPassword { .. } | Self::WrongPasswordOrDamaged { .. } => {
                "import_wrong_password"
            }
            Self::Changed { .. } => "import_file_changed",
            Self::WrongKeyFile { .. } => "import_wrong_key_file",
        }
    }
}
