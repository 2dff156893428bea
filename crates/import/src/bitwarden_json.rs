//! Bitwarden's unencrypted JSON export: `{ encrypted: false, folders, items }` from a personal
//! vault, `{ encrypted: false, collections, items }` from an organization's. Items are typed
//! 1 login, 2 secure note, 3 card, 4 identity, 5 SSH key; custom fields 0 text, 1 hidden,
//! 2 boolean, 3 linked. Older and newer clients leave fields out or write `null`, and some write
//! numbers as strings: every field is optional here, and both spellings are read.

use std::collections::HashMap;

use keyhaven_vault::item::{
    Card, CustomField, Identity, Item, ItemContent, ItemDraft, Login, PasswordHistoryEntry,
    SecureNote, PASSWORD_HISTORY_LEN,
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::time::{now_ms, rfc3339_ms};
use crate::{Format, ImportError, Imported, NotKept, Skipped};

const FORMAT: &str = "Bitwarden JSON";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    password_protected: bool,
    #[serde(default)]
    folders: Vec<Folder>,
    #[serde(default)]
    collections: Vec<Folder>,
    items: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Folder {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwItem {
    #[serde(rename = "type")]
    kind: Option<Value>,
    name: Option<String>,
    notes: Option<String>,
    favorite: Option<bool>,
    folder_id: Option<String>,
    collection_ids: Option<Vec<String>>,
    fields: Option<Vec<BwField>>,
    login: Option<BwLogin>,
    card: Option<BwCard>,
    identity: Option<BwIdentity>,
    ssh_key: Option<BwSshKey>,
    password_history: Option<Vec<BwPasswordHistory>>,
    creation_date: Option<String>,
    revision_date: Option<String>,
    deleted_date: Option<String>,
    attachments: Option<Vec<BwAttachment>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwField {
    name: Option<String>,
    value: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwLogin {
    uris: Option<Vec<BwUri>>,
    username: Option<String>,
    password: Option<String>,
    totp: Option<String>,
    fido2_credentials: Option<Vec<BwPasskey>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BwUri {
    uri: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwPasskey {
    rp_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwCard {
    cardholder_name: Option<String>,
    brand: Option<String>,
    number: Option<String>,
    exp_month: Option<Value>,
    exp_year: Option<Value>,
    code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwIdentity {
    title: Option<String>,
    first_name: Option<String>,
    middle_name: Option<String>,
    last_name: Option<String>,
    address1: Option<String>,
    address2: Option<String>,
    address3: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    company: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    ssn: Option<String>,
    username: Option<String>,
    passport_number: Option<String>,
    license_number: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwSshKey {
    private_key: Option<String>,
    public_key: Option<String>,
    key_fingerprint: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwPasswordHistory {
    last_used_date: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct BwAttachment {
    file_name: Option<String>,
}

/// Reads a Bitwarden JSON export.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let wrong = |detail: String| ImportError::WrongFormat {
        file: file_name.to_owned(),
        format: FORMAT,
        detail,
    };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| wrong("it is not UTF-8 text".into()))?;
    if !text.trim_start().starts_with('{') {
        let start: String = text.trim_start().chars().take(30).collect();
        return Err(wrong(format!(
            "it is not a JSON object: it begins with \"{}\"",
            start.escape_debug()
        )));
    }
    let export: Export = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            wrong(format!(
                "it ends early (line {}); the file is cut short",
                e.line()
            ))
        } else {
            wrong(format!("it is not valid JSON ({e})"))
        }
    })?;
    if export.encrypted || export.password_protected {
        return Err(ImportError::EncryptedBitwardenExport {
            file: file_name.to_owned(),
        });
    }
    let Some(entries) = export.items else {
        return Err(wrong("it has no \"items\" list".into()));
    };
    let folders: HashMap<String, String> = export
        .folders
        .into_iter()
        .chain(export.collections)
        .filter_map(|f| Some((f.id?, f.name?)))
        .collect();
    let now = now_ms();
    let mut imported = Imported {
        format: Format::BitwardenJson,
        items: Vec::with_capacity(entries.len()),
        skipped: Vec::new(),
        not_kept: Vec::new(),
    };
    for (index, entry) in entries.into_iter().enumerate() {
        let bw: BwItem = match serde_json::from_value(entry) {
            Ok(bw) => bw,
            Err(e) => {
                imported.skipped.push(Skipped {
                    title: format!("item {}", index + 1),
                    reason: format!("it is not a Bitwarden item ({e})"),
                });
                continue;
            }
        };
        convert(bw, &folders, now, &mut imported);
    }
    Ok(imported)
}

fn convert(bw: BwItem, folders: &HashMap<String, String>, now: i64, out: &mut Imported) {
    let title = text(&bw.name).trim().to_owned();
    let title = if title.is_empty() {
        "(untitled)".to_owned()
    } else {
        title
    };
    if bw.deleted_date.is_some() {
        out.skipped.push(Skipped {
            title,
            reason: "it is in Bitwarden's trash".into(),
        });
        return;
    }
    let notes = text(&bw.notes);
    let mut not_kept = Vec::new();
    let content = match number(&bw.kind) {
        Some(1) => login(&bw, notes, &mut not_kept),
        Some(2) => ItemContent::SecureNote(SecureNote {
            notes: with_fields(notes, &bw.fields),
            ..SecureNote::default()
        }),
        Some(3) => card(&bw, notes),
        Some(4) => identity(&bw, notes),
        Some(5) => {
            not_kept.push("an SSH key (kept as a secure note)".to_owned());
            ssh_key(&bw, notes)
        }
        other => {
            out.skipped.push(Skipped {
                title,
                reason: match other {
                    Some(n) => format!("its type {n} is not one Bitwarden documents"),
                    None => "it has no type".into(),
                },
            });
            return;
        }
    };
    for attachment in bw.attachments.iter().flatten() {
        not_kept.push(format!(
            "the attachment {}",
            attachment.file_name.as_deref().unwrap_or("(unnamed)")
        ));
    }
    let folder = bw
        .folder_id
        .as_ref()
        .or_else(|| bw.collection_ids.iter().flatten().next())
        .and_then(|id| folders.get(id))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    let created_at = bw
        .creation_date
        .as_deref()
        .and_then(rfc3339_ms)
        .unwrap_or(now);
    let updated_at = bw
        .revision_date
        .as_deref()
        .and_then(rfc3339_ms)
        .unwrap_or(created_at)
        .max(created_at);
    let draft = ItemDraft {
        title: title.clone(),
        content,
        favourite: bw.favorite.unwrap_or(false),
        folder,
        tags: Vec::new(),
    };
    let mut item = Item::new(draft, Uuid::new_v4(), now);
    item.created_at = created_at;
    item.updated_at = updated_at;
    item.password_history = history(&bw.password_history, updated_at);
    out.not_kept
        .extend(not_kept.into_iter().map(|what| NotKept {
            item: title.clone(),
            what,
        }));
    out.items.push(item);
}

fn login(bw: &BwItem, notes: String, not_kept: &mut Vec<String>) -> ItemContent {
    let login = bw.login.as_ref();
    let urls = login
        .and_then(|l| l.uris.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|u| u.uri.as_deref().map(str::trim))
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    for passkey in login
        .and_then(|l| l.fido2_credentials.as_ref())
        .into_iter()
        .flatten()
    {
        not_kept.push(match passkey.rp_id.as_deref() {
            Some(site) => format!("the passkey for {site}"),
            None => "a passkey".to_owned(),
        });
    }
    let mut custom_fields = Vec::new();
    for field in bw.fields.iter().flatten() {
        let name = text(&field.name);
        match number(&field.kind) {
            // A linked field names another field of the item (its username or password).
            Some(3) => not_kept.push(format!("the linked field {name}")),
            kind => custom_fields.push(CustomField {
                name,
                value: value_text(&field.value),
                hidden: kind == Some(1),
            }),
        }
    }
    ItemContent::Login(Login {
        username: login.map(|l| text(&l.username)).unwrap_or_default(),
        password: login.map(|l| text(&l.password)).unwrap_or_default(),
        urls,
        notes,
        totp_secret: login
            .and_then(|l| l.totp.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        custom_fields,
        ..Login::default()
    })
}

fn card(bw: &BwItem, notes: String) -> ItemContent {
    let card = bw.card.as_ref();
    let field =
        |pick: fn(&BwCard) -> &Option<String>| card.map(|c| text(pick(c))).unwrap_or_default();
    let month = card
        .and_then(|c| number(&c.exp_month))
        .and_then(|m| u8::try_from(m).ok())
        .filter(|m| (1..=12).contains(m));
    let year = card
        .and_then(|c| number(&c.exp_year))
        .and_then(|y| u16::try_from(if y < 100 { y + 2000 } else { y }).ok());
    ItemContent::Card(Card {
        cardholder_name: field(|c| &c.cardholder_name),
        number: field(|c| &c.number).replace([' ', '-'], ""),
        expiry_month: month,
        expiry_year: year,
        security_code: field(|c| &c.code),
        brand: field(|c| &c.brand),
        notes: with_fields(notes, &bw.fields),
        ..Card::default()
    })
}

fn identity(bw: &BwItem, notes: String) -> ItemContent {
    let default = BwIdentity::default();
    let id = bw.identity.as_ref().unwrap_or(&default);
    let first_name = [&id.first_name, &id.middle_name]
        .iter()
        .map(|p| text(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let address = [&id.address1, &id.address2, &id.address3]
        .iter()
        .map(|p| text(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    // What Keyhaven's identity has no field for stays in its notes, labelled.
    let extra: Vec<String> = [
        ("Title", &id.title),
        ("State or province", &id.state),
        ("Username", &id.username),
        ("Social security number", &id.ssn),
        ("Passport number", &id.passport_number),
        ("Licence number", &id.license_number),
    ]
    .iter()
    .filter_map(|(label, value)| {
        let value = text(value);
        (!value.is_empty()).then(|| format!("{label}: {value}"))
    })
    .collect();
    let notes = [notes, extra.join("\n")]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    ItemContent::Identity(Identity {
        first_name,
        last_name: text(&id.last_name),
        email: text(&id.email),
        phone: text(&id.phone),
        company: text(&id.company),
        address,
        city: text(&id.city),
        postal_code: text(&id.postal_code),
        country: text(&id.country),
        notes: with_fields(notes, &bw.fields),
        ..Identity::default()
    })
}

fn ssh_key(bw: &BwItem, notes: String) -> ItemContent {
    let default = BwSshKey::default();
    let key = bw.ssh_key.as_ref().unwrap_or(&default);
    let parts = [
        ("Private key", text(&key.private_key)),
        ("Public key", text(&key.public_key)),
        ("Fingerprint", text(&key.key_fingerprint)),
    ];
    let mut sections: Vec<String> = parts
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(label, value)| format!("{label}:\n{value}"))
        .collect();
    if !notes.is_empty() {
        sections.push(notes);
    }
    ItemContent::SecureNote(SecureNote {
        notes: with_fields(sections.join("\n\n"), &bw.fields),
        ..SecureNote::default()
    })
}

/// Notes with the custom fields of a kind that has none in Keyhaven, one `name: value` a line.
fn with_fields(notes: String, fields: &Option<Vec<BwField>>) -> String {
    let lines: Vec<String> = fields
        .iter()
        .flatten()
        .filter(|f| number(&f.kind) != Some(3))
        .map(|f| format!("{}: {}", text(&f.name), value_text(&f.value)))
        .collect();
    crate::notes_with_lines(notes, lines)
}

/// The most recent passwords first, as Keyhaven keeps them.
fn history(entries: &Option<Vec<BwPasswordHistory>>, fallback: i64) -> Vec<PasswordHistoryEntry> {
    let mut history: Vec<PasswordHistoryEntry> = entries
        .iter()
        .flatten()
        .filter_map(|entry| {
            let password = entry.password.clone().filter(|p| !p.is_empty())?;
            Some(PasswordHistoryEntry {
                password,
                replaced_at: entry
                    .last_used_date
                    .as_deref()
                    .and_then(rfc3339_ms)
                    .unwrap_or(fallback),
            })
        })
        .collect();
    history.sort_by_key(|entry| std::cmp::Reverse(entry.replaced_at));
    history.truncate(PASSWORD_HISTORY_LEN);
    history
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// A JSON value as a field's text: strings as they are, booleans and numbers spelled out.
fn value_text(value: &Option<Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// A number that may be written as a JSON number or as a string of digits.
fn number(value: &Option<Value>) -> Option<i64> {
    match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}
