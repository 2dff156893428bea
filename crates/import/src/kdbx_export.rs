//! Writing Keyhaven items as a KDBX 4 database (Argon2id, AES-256, ChaCha20 for protected
//! values) that KeePassXC opens: an offline backup with its own password. Folders become nested
//! groups; hidden fields, passwords, card numbers and TOTP secrets are protected values; the
//! password history becomes the entry's history. Cards and identities keep their fields as
//! named attributes.

use std::collections::HashMap;

use keepass::config::{DatabaseConfig, KdfConfig};
use keepass::db::{fields, Entry, GroupId, History};
use keepass::{Database, DatabaseKey};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{Item, ItemContent};

/// Why a KDBX file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the KeePass database could not be written: {0}")]
pub struct KdbxWriteError(String);

/// The items as a KDBX 4 file sealed with `password` and Argon2id at `params`.
pub fn write(items: &[Item], password: &str, params: KdfParams) -> Result<Vec<u8>, KdbxWriteError> {
    let mut config = DatabaseConfig::default();
    config.kdf_config = KdfConfig::Argon2id {
        iterations: u64::from(params.iterations),
        memory: u64::from(params.memory_kib) * 1024,
        parallelism: params.parallelism,
        version: argon2::Version::Version13,
    };
    let mut db = Database::with_config(config);
    db.meta.generator = Some("Keyhaven".into());
    db.meta.database_name = Some("Keyhaven export".into());
    db.root_mut().name = "Keyhaven".into();
    let mut groups: HashMap<String, GroupId> = HashMap::new();
    for item in items {
        let parent = match item.folder.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(folder) => group_for(&mut db, &mut groups, folder),
            None => db.root().id(),
        };
        let mut group = db
            .group_mut(parent)
            .ok_or_else(|| KdbxWriteError("a folder's group vanished".into()))?;
        let mut entry = group.add_entry();
        fill(&mut entry, item);
    }
    let mut out = Vec::new();
    db.save(&mut out, DatabaseKey::new().with_password(password))
        .map_err(|e| KdbxWriteError(e.to_string()))?;
    Ok(out)
}

/// The group of a folder path (`Work/Git`), made with its parents when it is new.
fn group_for(db: &mut Database, groups: &mut HashMap<String, GroupId>, folder: &str) -> GroupId {
    let mut parent = db.root().id();
    let mut path = String::new();
    for name in folder.split('/').filter(|n| !n.is_empty()) {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(name);
        parent = match groups.get(&path) {
            Some(id) => *id,
            None => {
                let id = match db.group_mut(parent) {
                    Some(mut group) => {
                        let mut child = group.add_group();
                        child.name = name.to_owned();
                        child.id()
                    }
                    None => parent,
                };
                groups.insert(path.clone(), id);
                id
            }
        };
    }
    parent
}

fn fill(entry: &mut Entry, item: &Item) {
    entry.set_unprotected(fields::TITLE, item.title.clone());
    let notes;
    match &item.content {
        ItemContent::Login(login) => {
            entry.set_unprotected(fields::USERNAME, login.username.clone());
            entry.set_protected(fields::PASSWORD, login.password.clone());
            if let Some(first) = login.urls.first() {
                entry.set_unprotected(fields::URL, first.clone());
            }
            for (n, url) in login.urls.iter().skip(1).enumerate() {
                let name = if n == 0 {
                    "KP2A_URL".to_owned()
                } else {
                    format!("KP2A_URL_{n}")
                };
                entry.set_unprotected(name, url.clone());
            }
            if let Some(secret) = login
                .totp_secret
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                entry.set_protected(fields::OTP, otpauth(secret, &item.title));
            }
            for field in &login.custom_fields {
                let name = free_name(entry, &field.name);
                if field.hidden {
                    entry.set_protected(name, field.value.clone());
                } else {
                    entry.set_unprotected(name, field.value.clone());
                }
            }
            notes = login.notes.clone();
        }
        ItemContent::SecureNote(note) => notes = note.notes.clone(),
        ItemContent::Card(card) => {
            set_text(entry, "Cardholder name", &card.cardholder_name);
            set_secret(entry, "Card number", &card.number);
            if let (Some(m), Some(y)) = (card.expiry_month, card.expiry_year) {
                entry.set_unprotected("Expiry", format!("{m:02}/{y}"));
            }
            set_secret(entry, "Security code", &card.security_code);
            set_text(entry, "Brand", &card.brand);
            notes = card.notes.clone();
        }
        ItemContent::Identity(id) => {
            for (name, value) in [
                ("First name", &id.first_name),
                ("Last name", &id.last_name),
                ("Email", &id.email),
                ("Phone", &id.phone),
                ("Company", &id.company),
                ("Address", &id.address),
                ("City", &id.city),
                ("Postal code", &id.postal_code),
                ("Country", &id.country),
            ] {
                set_text(entry, name, value);
            }
            notes = id.notes.clone();
        }
        ItemContent::Other(other) => {
            notes = serde_json::to_string_pretty(&other.fields).unwrap_or_default();
            entry.set_unprotected("Keyhaven kind", other.kind.clone());
        }
    }
    entry.set_unprotected(fields::NOTES, notes);
    entry.tags = item.tags.clone();
    if item.favourite {
        entry.tags.push("favourite".into());
    }
    entry.times.creation = date(item.created_at);
    entry.times.last_modification = date(item.updated_at);
    if let (ItemContent::Login(login), false) = (&item.content, item.password_history.is_empty()) {
        entry.history = Some(password_versions(entry, &login.password, item));
    }
}

/// The password history as KeePass keeps it, versions of the entry each dated when it was
/// saved: the current password since the newest replacement, and each old password since the
/// replacement before it (the oldest since the item was created). Keyhaven keeps no other
/// field's past, so a version holds the title, the username and the password only.
fn password_versions(entry: &Entry, current: &str, item: &Item) -> History {
    let history = &item.password_history;
    let mut versions = vec![(current, history[0].replaced_at)];
    for (i, old) in history.iter().enumerate() {
        let since = history
            .get(i + 1)
            .map_or(item.created_at, |older| older.replaced_at);
        versions.push((old.password.as_str(), since));
    }
    // A version keeps what the history is about: the title, the username and the password.
    let mut snapshot = entry.clone();
    snapshot
        .fields
        .retain(|name, _| [fields::TITLE, fields::USERNAME].contains(&name.as_str()));
    snapshot.tags.clear();
    let mut out = History::default();
    // `add_entry` puts each version first: add the newest first so the oldest ends first.
    for (password, since) in versions {
        let mut version = snapshot.clone();
        version.set_protected(fields::PASSWORD, password.to_owned());
        version.times.last_modification = date(since);
        out.add_entry(version);
    }
    out
}

/// A custom field's name that does not overwrite a standard attribute or an earlier field.
fn free_name(entry: &Entry, name: &str) -> String {
    let base = if name.trim().is_empty() {
        "Field"
    } else {
        name
    };
    let mut candidate = base.to_owned();
    let mut n = 2;
    while entry.fields.contains_key(&candidate) {
        candidate = format!("{base} ({n})");
        n += 1;
    }
    candidate
}

fn set_text(entry: &mut Entry, name: &str, value: &str) {
    if !value.is_empty() {
        entry.set_unprotected(name, value.to_owned());
    }
}

fn set_secret(entry: &mut Entry, name: &str, value: &str) {
    if !value.is_empty() {
        entry.set_protected(name, value.to_owned());
    }
}

/// KeePassXC reads the `otp` attribute as an otpauth URI: a bare secret becomes one with the
/// defaults (SHA-1, 6 digits, 30 s).
fn otpauth(secret: &str, title: &str) -> String {
    let secret = secret.trim();
    if secret.to_ascii_lowercase().starts_with("otpauth://") {
        return secret.to_owned();
    }
    let compact: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let label: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!(
        "otpauth://totp/{label}?secret={}&period=30&digits=6",
        compact.to_ascii_uppercase()
    )
}

fn date(ms: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc())
}
