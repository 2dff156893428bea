//! Reading the files other password managers export into Keyhaven items, before anything is
//! written: each format's parser gives [`Imported`] (the items, what was skipped and why, what
//! had no place), and [`preview::Preview`] says what an import would add to a vault.
//!
//! Nothing here touches a vault file; the caller stores the items in one transaction.

pub mod bitwarden_export;
pub mod bitwarden_json;
pub mod csv_files;
mod error;
pub mod preview;
mod time;

pub use error::ImportError;

use keyhaven_vault::item::Item;
use serde::Serialize;

/// The largest file an import reads (a 10,000-item export is a few MB): beyond it, a clear
/// refusal instead of unbounded memory.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// The formats Keyhaven reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

impl Format {
    /// Reads `bytes`, the file `file_name`, in this format.
    pub fn read(self, file_name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
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
        }
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
pub struct Skipped {
    pub title: String,
    pub reason: String,
}

/// Something an imported item had in its source that Keyhaven has no place for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotKept {
    /// The item's title.
    pub item: String,
    /// What was left behind, by name ("the passkey for example.com", "attachment scan.pdf").
    pub what: String,
}
