//! Reading the files other password managers export into Keyhaven items, before anything is
//! written: each format's parser gives [`Imported`] (the items, what was skipped and why, what
//! had no place), and [`preview::Preview`] says what an import would add to a vault.
//!
//! Nothing here touches a vault file; the caller stores the items in one transaction.

pub mod bitwarden_export;
pub mod bitwarden_json;
pub mod csv_files;
mod error;
pub mod export;
pub mod kdbx;
pub mod kdbx_export;
pub mod keepass_xml;
pub mod keyhaven_export;
pub mod onepux;
pub mod preview;
mod time;

pub use error::ImportError;

use keyhaven_vault::item::Item;
use serde::Serialize;
use zeroize::Zeroizing;

/// The largest file an import reads (a 10,000-item export is a few MB): beyond it, a clear
/// refusal instead of unbounded memory.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// The formats Keyhaven reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Bitwarden's unencrypted JSON export (`bitwarden_export_*.json`).
    BitwardenJson,
    /// Bitwarden's CSV export.
    BitwardenCsv,
    /// Chrome's, Edge's and Brave's password CSV.
    ChromeCsv,
    /// Firefox's password CSV.
    FirefoxCsv,
    /// Safari's password CSV.
    SafariCsv,
    /// KeePassXC's CSV export.
    KeepassXcCsv,
    /// Any CSV: [`Format::read`] maps its columns by their names; [`csv_files::read_mapped`]
    /// takes the columns the person mapped.
    GenericCsv,
    /// A KeePass or KeePassXC database (`.kdbx`, KDBX 3.1 and 4), with its password and key file.
    Kdbx,
    /// KeePass's and KeePassXC's XML export.
    KeepassXml,
    /// 1Password's `.1pux` export.
    OnePassword1pux,
    /// Keyhaven's own encrypted export, with the password it was sealed with.
    KeyhavenEncrypted,
}

/// What opens an encrypted file: its password, and a KeePass key file's bytes.
#[derive(Default)]
pub struct Unlock {
    pub password: Option<Zeroizing<String>>,
    pub key_file: Option<Zeroizing<Vec<u8>>>,
}

impl Unlock {
    /// Nothing: for the formats that are not encrypted.
    pub fn none() -> Self {
        Self::default()
    }

    /// A password alone.
    pub fn password(password: &str) -> Self {
        Self {
            password: Some(Zeroizing::new(password.to_owned())),
            key_file: None,
        }
    }
}

impl Format {
    /// Whether a file of this format opens only with a password.
    pub fn needs_password(self) -> bool {
        matches!(self, Self::Kdbx | Self::KeyhavenEncrypted)
    }

    /// Whether a file of this format may also need a key file (KeePass).
    pub fn takes_key_file(self) -> bool {
        self == Self::Kdbx
    }

    /// The format `bytes` are most likely in, from their first bytes and, for CSV, their header
    /// (`None` when it is neither a known signature nor a known header: the person chooses).
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if kdbx::looks_like_kdbx(bytes) {
            return Some(Self::Kdbx);
        }
        if onepux::looks_like_zip(bytes) {
            return Some(Self::OnePassword1pux);
        }
        if keyhaven_vault::crypto::is_sealed_export(bytes) {
            return Some(Self::KeyhavenEncrypted);
        }
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => return Some(Self::BitwardenJson),
            Some(b'<') => {
                let head = String::from_utf8_lossy(&text[..text.len().min(512)]);
                return head.contains("<KeePassFile").then_some(Self::KeepassXml);
            }
            _ => {}
        }
        csv_files::detect(bytes)
    }

    /// Reads `bytes`, the file `file_name`, in this format; the encrypted formats answer
    /// [`ImportError::PasswordNeeded`] (see [`Format::open`]).
    pub fn read(self, file_name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
        self.open(file_name, bytes, &Unlock::none())
    }

    /// Reads `bytes`, the file `file_name`, in this format; `unlock` opens the encrypted ones.
    pub fn open(
        self,
        file_name: &str,
        bytes: &[u8],
        unlock: &Unlock,
    ) -> Result<Imported, ImportError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ImportError::TooLarge {
                file: file_name.to_owned(),
                limit_mib: MAX_FILE_BYTES / (1024 * 1024),
            });
        }
        use csv_files::CsvKind;
        match self {
            Self::BitwardenJson => bitwarden_json::read(file_name, bytes),
            Self::BitwardenCsv => csv_files::read_known(CsvKind::Bitwarden, file_name, bytes),
            Self::ChromeCsv => csv_files::read_known(CsvKind::Chrome, file_name, bytes),
            Self::FirefoxCsv => csv_files::read_known(CsvKind::Firefox, file_name, bytes),
            Self::SafariCsv => csv_files::read_known(CsvKind::Safari, file_name, bytes),
            Self::KeepassXcCsv => csv_files::read_known(CsvKind::KeepassXc, file_name, bytes),
            Self::GenericCsv => {
                let sample = csv_files::sample(file_name, bytes, 0)?;
                csv_files::read_mapped(file_name, bytes, &sample.suggested)
            }
            Self::Kdbx => kdbx::read(file_name, bytes, unlock),
            Self::KeepassXml => keepass_xml::read(file_name, bytes),
            Self::OnePassword1pux => onepux::read(file_name, bytes),
            Self::KeyhavenEncrypted => match &unlock.password {
                Some(password) => keyhaven_export::read(file_name, bytes, password),
                None => Err(ImportError::PasswordNeeded {
                    file: file_name.to_owned(),
                }),
            },
        }
    }
}

/// Notes followed by fields a kind has no place for, one `name: value` a line after a blank line.
pub(crate) fn notes_with_lines(notes: String, lines: Vec<String>) -> String {
    match (notes.is_empty(), lines.is_empty()) {
        (_, true) => notes,
        (true, false) => lines.join("\n"),
        (false, false) => format!("{notes}\n\n{}", lines.join("\n")),
    }
}

/// What a file holds, as Keyhaven items.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub format: Format,
    /// New items (fresh ids), with the source's times and password history where it has them.
    pub items: Vec<Item>,
    /// Entries that are not imported, and why.
    pub skipped: Vec<Skipped>,
    /// What the source had that Keyhaven cannot hold (attachments, passkeys), by item.
    pub not_kept: Vec<NotKept>,
}

/// An entry of the file that is not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Skipped {
    pub title: String,
    pub reason: String,
}

/// Something an imported item had in its source that Keyhaven has no place for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NotKept {
    /// The item's title.
    pub item: String,
    /// What was left behind, by name ("the passkey for example.com", "attachment scan.pdf").
    pub what: String,
}
