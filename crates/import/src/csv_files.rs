//! The CSV exports: Chrome, Edge and Brave (`name,url,username,password,note`), Firefox
//! (`url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,
//! timePasswordChanged`), Safari (`Title,URL,Username,Password,Notes,OTPAuth`), Bitwarden
//! (`folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,
//! login_totp`), KeePassXC (`Group,Title,Username,Password,URL,Notes,TOTP,Icon,Last Modified,
//! Created`), and any other CSV through a [`ColumnMap`] the person chooses.
//!
//! Headers are matched without case, and where two descriptions of a format name a column
//! differently both names are accepted. Quoted newlines, commas and quotes, a BOM, CRLF line
//! ends and rows of another length are read as CSV allows; a row too short is read as far as it
//! goes.

use keyhaven_vault::item::{CustomField, Item, ItemContent, ItemDraft, Login, SecureNote};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time::{now_ms, rfc3339_ms};
use crate::{Format, ImportError, Imported, Skipped};

/// Which column holds what; `None` where the file has no such column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ColumnMap {
    pub title: Option<usize>,
    /// One or more URLs (Bitwarden separates several with commas).
    pub url: Option<usize>,
    pub username: Option<usize>,
    pub password: Option<usize>,
    pub notes: Option<usize>,
    pub totp: Option<usize>,
    /// A folder, or a group path (`Root/Work/Git`).
    pub folder: Option<usize>,
    pub favourite: Option<usize>,
    /// `login` or `note` (Bitwarden).
    pub kind: Option<usize>,
    /// `name: value` lines (Bitwarden).
    pub fields: Option<usize>,
    pub created: Option<usize>,
    pub modified: Option<usize>,
}

/// A CSV file's header row and first rows, for the person to map a generic CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CsvSample {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The columns recognized by their names, as a starting point.
    pub suggested: ColumnMap,
}

/// The CSV formats with known headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    Chrome,
    Firefox,
    Safari,
    Bitwarden,
    KeepassXc,
}

impl CsvKind {
    fn name(self) -> &'static str {
        match self {
            Self::Chrome => "Chrome CSV",
            Self::Firefox => "Firefox CSV",
            Self::Safari => "Safari CSV",
            Self::Bitwarden => "Bitwarden CSV",
            Self::KeepassXc => "KeePassXC CSV",
        }
    }

    /// The required columns `headers` lack, by their first name.
    fn missing(self, headers: &[String]) -> Vec<&'static str> {
        self.required()
            .iter()
            .filter(|names| {
                !headers
                    .iter()
                    .any(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
            })
            .map(|names| names[0])
            .collect()
    }

    /// The columns this format must have, by any of their names.
    fn required(self) -> &'static [&'static [&'static str]] {
        match self {
            Self::Chrome => &[&["name"], &["url"], &["username"], &["password"]],
            Self::Firefox => &[&["url"], &["username"], &["password"], &["guid"]],
            Self::Safari => &[&["title"], &["url"], &["username"], &["password"]],
            Self::Bitwarden => &[&["name"], &["type"], &["login_uri"], &["login_password"]],
            Self::KeepassXc => &[&["group"], &["title"], &["username"], &["password"]],
        }
    }
}

/// Header names that mean each column, across the formats.
fn suggest(headers: &[String]) -> ColumnMap {
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    ColumnMap {
        title: find(&["name", "title"]),
        url: find(&["url", "login_uri", "website", "uri"]),
        username: find(&["username", "login_username", "user name", "login", "email"]),
        password: find(&["password", "login_password"]),
        notes: find(&["note", "notes", "comment", "comments", "extra"]),
        totp: find(&["totp", "login_totp", "otpauth", "otp", "one-time password"]),
        folder: find(&["folder", "group", "grouping"]),
        favourite: find(&["favorite", "favourite", "fav"]),
        kind: find(&["type"]),
        fields: find(&["fields"]),
        created: find(&["created", "timecreated", "creation time"]),
        modified: find(&[
            "last modified",
            "timepasswordchanged",
            "modified",
            "modification time",
        ]),
    }
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
}

fn headers(
    file_name: &str,
    format: &'static str,
    bytes: &[u8],
) -> Result<Vec<String>, ImportError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ImportError::WrongFormat {
            file: file_name.to_owned(),
            format,
            detail: "it is not UTF-8 text".into(),
        });
    }
    let mut reader = reader(bytes);
    let headers = reader.headers().map_err(|e| ImportError::WrongFormat {
        file: file_name.to_owned(),
        format,
        detail: format!("its header row cannot be read ({e})"),
    })?;
    Ok(headers.iter().map(str::to_owned).collect())
}

/// The header row and up to `rows` rows of a CSV file, for mapping its columns.
pub fn sample(file_name: &str, bytes: &[u8], rows: usize) -> Result<CsvSample, ImportError> {
    let headers = headers(file_name, "CSV", bytes)?;
    let mut reader = reader(bytes);
    let rows = reader
        .records()
        .take(rows)
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .collect();
    Ok(CsvSample {
        suggested: suggest(&headers),
        headers,
        rows,
    })
}

/// Reads a CSV export of a known format: its headers must be that format's.
pub fn read_known(kind: CsvKind, file_name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let headers = headers(file_name, kind.name(), bytes)?;
    let missing = kind.missing(&headers);
    if !missing.is_empty() {
        return Err(ImportError::WrongFormat {
            file: file_name.to_owned(),
            format: kind.name(),
            detail: format!(
                "its header row has no {} column (it has: {})",
                missing.join(", "),
                headers.join(", ")
            ),
        });
    }
    let mut map = suggest(&headers);
    if kind == CsvKind::Firefox {
        // Firefox has no title; the site's host stands for it.
        map.title = None;
    }
    read_rows(kind.format(), file_name, bytes, &map, Some(kind))
}

/// The known CSV format whose columns the header row has, or generic CSV for any other header
/// row of two or more columns.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let headers = headers("", "CSV", bytes).ok()?;
    const MOST_SPECIFIC_FIRST: [CsvKind; 5] = [
        CsvKind::Bitwarden,
        CsvKind::KeepassXc,
        CsvKind::Firefox,
        CsvKind::Safari,
        CsvKind::Chrome,
    ];
    MOST_SPECIFIC_FIRST
        .into_iter()
        .find(|kind| kind.missing(&headers).is_empty())
        .map(CsvKind::format)
        .or_else(|| (headers.len() >= 2).then_some(Format::GenericCsv))
}

/// Reads any CSV with the columns the person mapped.
pub fn read_mapped(
    file_name: &str,
    bytes: &[u8],
    map: &ColumnMap,
) -> Result<Imported, ImportError> {
    headers(file_name, "CSV", bytes)?;
    if map.title.is_none() && map.url.is_none() {
        return Err(ImportError::WrongFormat {
            file: file_name.to_owned(),
            format: "CSV",
            detail: "no column is mapped to the title or the URL, which name each item".into(),
        });
    }
    read_rows(Format::GenericCsv, file_name, bytes, map, None)
}

impl CsvKind {
    fn format(self) -> Format {
        match self {
            Self::Chrome => Format::ChromeCsv,
            Self::Firefox => Format::FirefoxCsv,
            Self::Safari => Format::SafariCsv,
            Self::Bitwarden => Format::BitwardenCsv,
            Self::KeepassXc => Format::KeepassXcCsv,
        }
    }
}

fn read_rows(
    format: Format,
    file_name: &str,
    bytes: &[u8],
    map: &ColumnMap,
    kind: Option<CsvKind>,
) -> Result<Imported, ImportError> {
    let now = now_ms();
    let mut imported = Imported {
        format,
        items: Vec::new(),
        skipped: Vec::new(),
        not_kept: Vec::new(),
    };
    let mut reader = reader(bytes);
    for (index, record) in reader.records().enumerate() {
        let row = index + 2;
        let record = record.map_err(|e| ImportError::WrongFormat {
            file: file_name.to_owned(),
            format: "CSV",
            detail: format!("row {row} cannot be read ({e})"),
        })?;
        let cell = |column: Option<usize>| {
            column
                .and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let urls: Vec<String> = if kind == Some(CsvKind::Bitwarden) {
            cell(map.url)
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            Some(cell(map.url))
                .filter(|u| !u.is_empty())
                .into_iter()
                .collect()
        };
        let username = cell(map.username);
        let title = Some(cell(map.title))
            .filter(|t| !t.is_empty())
            .or_else(|| urls.first().map(|u| host_of(u)))
            .or_else(|| Some(username.clone()).filter(|u| !u.is_empty()))
            .unwrap_or_else(|| format!("Row {row}"));
        let notes = column_raw(&record, map.notes);
        let mut fields = Vec::new();
        for line in column_raw(&record, map.fields).lines() {
            if let Some((name, value)) = line.split_once(": ") {
                fields.push(CustomField {
                    name: name.to_owned(),
                    value: value.to_owned(),
                    hidden: false,
                });
            }
        }
        let folder = Some(folder_path(&cell(map.folder), kind)).filter(|f| !f.is_empty());
        if kind == Some(CsvKind::KeepassXc) && folder.as_deref().is_some_and(in_recycle_bin) {
            imported.skipped.push(Skipped {
                title,
                reason: "it is in the KeePass recycle bin".into(),
            });
            continue;
        }
        // KeePass has no kinds: an entry with nothing but notes is a note, as the .kdbx reader
        // makes it.
        let only_notes = urls.is_empty()
            && username.is_empty()
            && cell(map.password).is_empty()
            && cell(map.totp).is_empty()
            && !notes.is_empty();
        let is_note = cell(map.kind).eq_ignore_ascii_case("note")
            || (kind == Some(CsvKind::KeepassXc) && only_notes);
        let content = if is_note {
            ItemContent::SecureNote(SecureNote {
                notes,
                ..SecureNote::default()
            })
        } else {
            if urls.is_empty()
                && username.is_empty()
                && cell(map.password).is_empty()
                && notes.is_empty()
            {
                imported.skipped.push(Skipped {
                    title,
                    reason: format!("row {row} has no URL, username, password or notes"),
                });
                continue;
            }
            ItemContent::Login(Login {
                username,
                password: column_raw(&record, map.password),
                urls,
                notes,
                totp_secret: Some(cell(map.totp)).filter(|t| !t.is_empty()),
                custom_fields: fields,
                ..Login::default()
            })
        };
        let favourite = matches!(
            cell(map.favourite).to_ascii_lowercase().as_str(),
            "1" | "true" | "yes"
        );
        let created_at = time_of(&cell(map.created)).unwrap_or(now);
        let updated_at = time_of(&cell(map.modified))
            .unwrap_or(created_at)
            .max(created_at);
        let mut item = Item::new(
            ItemDraft {
                title,
                content,
                favourite,
                folder,
                tags: Vec::new(),
            },
            Uuid::new_v4(),
            now,
        );
        item.created_at = created_at;
        item.updated_at = updated_at;
        imported.items.push(item);
    }
    Ok(imported)
}

/// A cell as it is (passwords and notes keep their spaces and line breaks).
fn column_raw(record: &csv::StringRecord, column: Option<usize>) -> String {
    column
        .and_then(|c| record.get(c))
        .unwrap_or_default()
        .replace("\r\n", "\n")
}

/// KeePassXC writes the group path with its root (`Root/Work`): the root is not a folder.
fn folder_path(folder: &str, kind: Option<CsvKind>) -> String {
    let folder = folder.trim().trim_matches('/');
    if kind == Some(CsvKind::KeepassXc) {
        match folder.split_once('/') {
            Some((_, rest)) => rest.to_owned(),
            None => String::new(),
        }
    } else {
        folder.to_owned()
    }
}

/// Whether a KeePassXC group path (without its root) is the recycle bin or inside it, by the
/// names KeePassXC gives the bin in its most used languages.
fn in_recycle_bin(folder: &str) -> bool {
    const NAMES: [&str; 6] = [
        "Recycle Bin",
        "Papierkorb",
        "Corbeille",
        "Papelera de reciclaje",
        "Cestino",
        "Prullenbak",
    ];
    let top = folder.split('/').next().unwrap_or_default();
    NAMES.iter().any(|name| top.eq_ignore_ascii_case(name))
}

/// A time as the CSV formats write it: Unix milliseconds (Firefox), seconds, or RFC 3339
/// (KeePassXC).
fn time_of(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    if let Ok(number) = text.parse::<i64>() {
        return Some(if number < 100_000_000_000 {
            number * 1000
        } else {
            number
        });
    }
    rfc3339_ms(text)
}

/// The host of a URL, as a title for an entry that has none.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.split(':').next().unwrap_or(host).to_owned()
}
