//! Writing Keyhaven items as Bitwarden's unencrypted JSON and CSV exports, which every
//! password manager imports. Both are plaintext: the caller explains that and asks first.
//!
//! CSV holds only logins and notes (as Bitwarden's CSV does): cards and identities go as notes
//! listing their fields. Every CSV cell that a spreadsheet would run as a formula (beginning with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'` (OWASP, CSV injection).

use std::collections::BTreeMap;

use keyhaven_vault::item::{Item, ItemContent};
use serde_json::{json, Value};

use crate::time::ms_rfc3339;

/// The items as a Bitwarden JSON export (`"encrypted": false`), folders by name.
pub fn json_export(items: &[Item]) -> String {
    let mut folders: BTreeMap<String, String> = BTreeMap::new();
    for folder in items.iter().filter_map(|i| i.folder.as_ref()) {
        let id = format!("folder-{}", folders.len() + 1);
        folders.entry(folder.clone()).or_insert(id);
    }
    let entries: Vec<Value> = items
        .iter()
        .map(|item| item_json(item, item.folder.as_ref().and_then(|f| folders.get(f))))
        .collect();
    let folders: Vec<Value> = folders
        .iter()
        .map(|(name, id)| json!({ "id": id, "name": name }))
        .collect();
    let export = json!({ "encrypted": false, "folders": folders, "items": entries });
    serde_json::to_string_pretty(&export).unwrap_or_default()
}

fn item_json(item: &Item, folder_id: Option<&String>) -> Value {
    let mut entry = json!({
        "id": item.id.to_string(),
        "organizationId": null,
        "folderId": folder_id,
        "name": item.title,
        "favorite": item.favourite,
        "reprompt": 0,
        "creationDate": ms_rfc3339(item.created_at),
        "revisionDate": ms_rfc3339(item.updated_at),
        "deletedDate": null,
        "collectionIds": null,
        "passwordHistory": item.password_history.iter().map(|h| json!({
            "lastUsedDate": ms_rfc3339(h.replaced_at),
            "password": h.password,
        })).collect::<Vec<_>>(),
    });
    let other_notes;
    let (kind, notes, extra) = match &item.content {
        ItemContent::Login(login) => (
            1,
            &login.notes,
            json!({
                "fields": login.custom_fields.iter().map(|f| json!({
                    "name": f.name, "value": f.value, "type": if f.hidden { 1 } else { 0 }, "linkedId": null,
                })).collect::<Vec<_>>(),
                "login": {
                    "uris": login.urls.iter().map(|u| json!({ "match": null, "uri": u })).collect::<Vec<_>>(),
                    "username": login.username,
                    "password": login.password,
                    "totp": login.totp_secret,
                },
            }),
        ),
        ItemContent::SecureNote(note) => (2, &note.notes, json!({ "secureNote": { "type": 0 } })),
        ItemContent::Card(card) => (
            3,
            &card.notes,
            json!({ "card": {
                "cardholderName": card.cardholder_name,
                "brand": card.brand,
                "number": card.number,
                "expMonth": card.expiry_month.map(|m| m.to_string()),
                "expYear": card.expiry_year.map(|y| y.to_string()),
                "code": card.security_code,
            }}),
        ),
        ItemContent::Identity(id) => (
            4,
            &id.notes,
            json!({ "identity": {
                "firstName": id.first_name, "lastName": id.last_name, "email": id.email,
                "phone": id.phone, "company": id.company, "address1": id.address, "city": id.city,
                "postalCode": id.postal_code, "country": id.country,
            }}),
        ),
        ItemContent::Other(other) => {
            other_notes = other_as_text(other);
            (2, &other_notes, json!({ "secureNote": { "type": 0 } }))
        }
    };
    entry["type"] = json!(kind);
    entry["notes"] = json!(notes);
    if let (Value::Object(entry), Value::Object(extra)) = (&mut entry, extra) {
        entry.extend(extra);
    }
    entry
}

/// The items as a Bitwarden CSV export.
pub fn csv_export(items: &[Item]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "folder",
        "favorite",
        "type",
        "name",
        "notes",
        "fields",
        "reprompt",
        "login_uri",
        "login_username",
        "login_password",
        "login_totp",
    ];
    let _ = writer.write_record(header);
    for item in items {
        let folder = item.folder.clone().unwrap_or_default();
        let favourite = if item.favourite { "1" } else { "" }.to_owned();
        let row: Vec<String> = match &item.content {
            ItemContent::Login(login) => vec![
                folder,
                favourite,
                "login".into(),
                item.title.clone(),
                login.notes.clone(),
                login
                    .custom_fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.value))
                    .collect::<Vec<_>>()
                    .join("\n"),
                "0".into(),
                login.urls.join(","),
                login.username.clone(),
                login.password.clone(),
                login.totp_secret.clone().unwrap_or_default(),
            ],
            content => vec![
                folder,
                favourite,
                "note".into(),
                item.title.clone(),
                note_text(content),
                String::new(),
                "0".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        };
        let _ = writer.write_record(row.iter().map(|cell| escape_formula(cell)));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A card's or identity's fields as note text, for the CSV that has no place for them.
fn note_text(content: &ItemContent) -> String {
    let lines: Vec<String> = match content {
        ItemContent::SecureNote(note) => return note.notes.clone(),
        ItemContent::Card(card) => vec![
            format!("Cardholder: {}", card.cardholder_name),
            format!("Number: {}", card.number),
            format!(
                "Expires: {}/{}",
                card.expiry_month.map(|m| m.to_string()).unwrap_or_default(),
                card.expiry_year.map(|y| y.to_string()).unwrap_or_default()
            ),
            format!("Security code: {}", card.security_code),
            format!("Brand: {}", card.brand),
            card.notes.clone(),
        ],
        ItemContent::Identity(id) => vec![
            format!("Name: {} {}", id.first_name, id.last_name),
            format!("Email: {}", id.email),
            format!("Phone: {}", id.phone),
            format!("Company: {}", id.company),
            format!(
                "Address: {}, {} {}, {}",
                id.address, id.postal_code, id.city, id.country
            ),
            id.notes.clone(),
        ],
        ItemContent::Other(other) => return other_as_text(other),
        ItemContent::Login(_) => Vec::new(),
    };
    lines
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An item of a kind from a newer Keyhaven, as note text: its kind and fields as JSON, so that
/// nothing of it is lost.
fn other_as_text(other: &keyhaven_vault::item::OtherContent) -> String {
    let fields = serde_json::to_string_pretty(&other.fields).unwrap_or_default();
    format!("Keyhaven item of kind {}:\n{fields}", other.kind)
}

/// A cell a spreadsheet would run as a formula, made text with a leading `'` (OWASP).
pub fn escape_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}
