//! KeePass databases (`.kdbx`, KDBX 3.1 and 4), opened with their password and key file by the
//! `keepass` crate. Groups become folder paths (the root group is not a folder), protected
//! attributes become hidden fields, the `otp` attribute the TOTP secret, and the entry's history
//! its password history. Entries in the recycle bin are skipped; attachments are listed.

use std::collections::HashMap;

use keepass::db::{fields, Entry, GroupRef, Value};
use keepass::error::DatabaseKeyError;
use keepass::{Database, DatabaseKey};
use keyhaven_vault::item::{
    CustomField, Item, ItemContent, Login, PasswordHistoryEntry, SecureNote, PASSWORD_HISTORY_LEN,
};

use crate::time::now_ms;
use crate::{Format, ImportError, Imported, NotKept, Skipped, Unlock};

const FORMAT: &str = "KeePass (.kdbx)";
/// Attributes KeePassXC and KeePass2Android use for a login's further URLs.
const EXTRA_URL_PREFIXES: [&str; 2] = ["KP2A_URL", "URL_"];
/// Attributes older TOTP plug-ins (KeeOtp, KeeTrayTOTP) keep their secret in.
const LEGACY_TOTP_FIELDS: [&str; 3] = ["TOTP Seed", "TimeOtp-Secret-Base32", "TOTP"];
const LEGACY_TOTP_SETTINGS: &str = "TOTP Settings";

/// Whether `bytes` begin like a KeePass database (either signature of KeePass 1 and 2).
pub fn looks_like_kdbx(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x03, 0xD9, 0xA2, 0x9A])
}

/// Opens the database with `unlock` and reads every entry outside the recycle bin.
pub fn read(file_name: &str, bytes: &[u8], unlock: &Unlock) -> Result<Imported, ImportError> {
    let file = file_name.to_owned();
    let wrong = |detail: String| ImportError::WrongFormat {
        file: file.clone(),
        format: FORMAT,
        detail,
    };
    if !looks_like_kdbx(bytes) {
        return Err(wrong("it does not begin with a KeePass signature".into()));
    }
    let mut key = DatabaseKey::new();
    if let Some(password) = &unlock.password {
        key = key.with_password(password);
    }
    if let Some(key_file) = &unlock.key_file {
        key =
            key.with_keyfile(&mut key_file.as_slice())
                .map_err(|e| ImportError::WrongKeyFile {
                    file: file.clone(),
                    detail: e.to_string(),
                })?;
    }
    if key.is_empty() {
        return Err(ImportError::PasswordNeeded { file });
    }
    let db = Database::parse(bytes, key).map_err(|e| open_error(&file, e))?;
    Ok(from_database(&db, Format::Kdbx))
}

/// Every entry of an opened database outside its recycle bin, as items (also for KeePass XML).
pub(crate) fn from_database(db: &Database, format: Format) -> Imported {
    let mut out = Imported {
        format,
        items: Vec::new(),
        skipped: Vec::new(),
        not_kept: Vec::new(),
    };
    let recycle_bin = db.recycle_bin().map(|g| g.id());
    walk(db.root(), "", recycle_bin, now_ms(), &mut out);
    out
}

fn open_error(file: &str, error: keepass::db::DatabaseOpenError) -> ImportError {
    use keepass::db::DatabaseOpenError as E;
    match error {
        E::Key(DatabaseKeyError::IncorrectKey) => ImportError::WrongPassword {
            file: file.to_owned(),
        },
        // KDBX 3.1 has no check of the key before its payload: a wrong key and a damaged
        // payload both fail to decrypt.
        E::Cryptography(_) => ImportError::WrongPasswordOrDamaged {
            file: file.to_owned(),
        },
        E::UnexpectedEof => ImportError::WrongFormat {
            file: file.to_owned(),
            format: FORMAT,
            detail: "it ends early; the file is cut short".into(),
        },
        E::UnsupportedVersion => ImportError::WrongFormat {
            file: file.to_owned(),
            format: FORMAT,
            detail: "it is a KeePass version Keyhaven cannot read (KDBX 3.1 and 4 are read)".into(),
        },
        other => ImportError::WrongFormat {
            file: file.to_owned(),
            format: FORMAT,
            detail: format!("it is damaged or cut short ({other})"),
        },
    }
}

fn walk(
    group: GroupRef<'_>,
    path: &str,
    recycle_bin: Option<keepass::db::GroupId>,
    now: i64,
    out: &mut Imported,
) {
    for entry in group.entries() {
        if Some(group.id()) == recycle_bin {
            out.skipped.push(Skipped {
                title: entry.get_title().unwrap_or_default().to_owned(),
                reason: "it is in the KeePass recycle bin".into(),
            });
            continue;
        }
        let item = convert(&entry, path, now);
        for name in entry.attachments_named().map(|(name, _)| name) {
            out.not_kept.push(NotKept {
                item: item.title.clone(),
                what: format!("attachment {name}"),
            });
        }
        out.items.push(item);
    }
    for child in group.groups() {
        let in_bin = Some(child.id()) == recycle_bin || Some(group.id()) == recycle_bin;
        let child_path = if path.is_empty() {
            child.name.clone()
        } else {
            format!("{path}/{}", child.name)
        };
        let bin = if in_bin {
            Some(child.id())
        } else {
            recycle_bin
        };
        walk(child, &child_path, bin, now, out);
    }
}

fn convert(entry: &Entry, folder: &str, now: i64) -> Item {
    let get = |name: &str| entry.get(name).unwrap_or_default().to_owned();
    let mut urls: Vec<String> = Vec::new();
    let url = get(fields::URL);
    if !url.trim().is_empty() {
        urls.push(url.trim().to_owned());
    }
    let mut custom_fields = Vec::new();
    let mut extra: Vec<(&String, &Value<String>)> = entry
        .fields
        .iter()
        .filter(|(name, _)| !is_standard(name))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(b.0));
    let mut totp_secret = entry
        .get(fields::OTP)
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned);
    for (name, value) in extra {
        let text = value.get().to_owned();
        if EXTRA_URL_PREFIXES.iter().any(|p| name.starts_with(p)) && !text.trim().is_empty() {
            urls.push(text.trim().to_owned());
        } else if totp_secret.is_none()
            && LEGACY_TOTP_FIELDS.contains(&name.as_str())
            && !text.trim().is_empty()
        {
            totp_secret = Some(legacy_totp(&text, entry.get(LEGACY_TOTP_SETTINGS)));
        } else if name == LEGACY_TOTP_SETTINGS && totp_secret.is_some() {
            continue;
        } else {
            custom_fields.push(CustomField {
                name: name.clone(),
                value: text,
                hidden: value.is_protected(),
            });
        }
    }
    let username = get(fields::USERNAME);
    let password = get(fields::PASSWORD);
    let notes = get(fields::NOTES);
    let created_at = time_ms(entry.times.creation).unwrap_or(now);
    let updated_at = time_ms(entry.times.last_modification).unwrap_or(created_at);
    let is_note = username.is_empty()
        && password.is_empty()
        && urls.is_empty()
        && totp_secret.is_none()
        && custom_fields.is_empty()
        && !notes.is_empty();
    let content = if is_note {
        ItemContent::SecureNote(SecureNote {
            notes,
            ..SecureNote::default()
        })
    } else {
        ItemContent::Login(Login {
            username,
            password: password.clone(),
            urls,
            notes,
            totp_secret,
            custom_fields,
            ..Login::default()
        })
    };
    let title = match get(fields::TITLE).trim() {
        "" => "(untitled)".to_owned(),
        t => t.to_owned(),
    };
    Item {
        id: uuid::Uuid::new_v4(),
        title,
        content,
        favourite: false,
        folder: (!folder.is_empty()).then(|| folder.to_owned()),
        tags: entry
            .tags
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect(),
        created_at,
        updated_at,
        password_history: password_history(entry, &password),
        field_history: Vec::new(),
        needs_review: false,
        unknown: Default::default(),
    }
}

fn is_standard(name: &str) -> bool {
    fields::KNOWN_FIELDS.contains(&name) || name == fields::OTP
}

/// A KeeOtp-style secret and its settings (`30;6` or `30;8;S`) as an otpauth URI, or the bare
/// secret when the settings are the defaults.
fn legacy_totp(secret: &str, settings: Option<&str>) -> String {
    let secret: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let mut parts = settings.unwrap_or("").split(';').map(str::trim);
    let period = parts.next().filter(|p| !p.is_empty()).unwrap_or("30");
    let digits = parts.next().filter(|d| !d.is_empty()).unwrap_or("6");
    if period == "30" && digits == "6" {
        return secret;
    }
    match digits {
        "S" => format!("otpauth://totp/Steam?secret={secret}&period={period}&encoder=steam"),
        _ => format!("otpauth://totp/?secret={secret}&period={period}&digits={digits}"),
    }
}

/// The passwords the entry's history holds, newest first, each dated when a newer version
/// replaced it.
fn password_history(entry: &Entry, current: &str) -> Vec<PasswordHistoryEntry> {
    let Some(history) = &entry.history else {
        return Vec::new();
    };
    let mut versions: Vec<(Option<i64>, String)> = history
        .get_entries()
        .iter()
        .map(|old| {
            (
                time_ms(old.times.last_modification),
                old.get_password().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    versions.sort_by_key(|(at, _)| *at);
    let mut out = Vec::new();
    let mut newer = (time_ms(entry.times.last_modification), current.to_owned());
    for (at, password) in versions.into_iter().rev() {
        if password != newer.1 && !password.is_empty() {
            out.push(PasswordHistoryEntry {
                password: password.clone(),
                replaced_at: newer.0.or(at).unwrap_or_default(),
            });
        }
        newer = (at, password);
    }
    let mut seen = HashMap::new();
    out.retain(|h| seen.insert(h.password.clone(), ()).is_none());
    out.truncate(PASSWORD_HISTORY_LEN);
    out
}

fn time_ms(time: Option<chrono::NaiveDateTime>) -> Option<i64> {
    time.map(|t| t.and_utc().timestamp_millis())
        .filter(|ms| *ms > 0)
}
