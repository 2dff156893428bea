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
}

impl ImportError {
    /// A stable code for `{ code, message }`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "import_file_too_large",
            Self::WrongFormat { .. } => "import_wrong_format",
            Self::EncryptedBitwardenExport { .. } => "import_encrypted_bitwarden",
        }
    }
}
