//! 1Password's `.1pux` export: a zip holding `export.data`, JSON of accounts → vaults → items.
//! Items are typed by `categoryUuid` (001 login, 002 card, 003 secure note, 004 identity,
//! 005 password, 006 document, others such as servers and databases); their fields are the
//! `loginFields` (username and password by `designation`) and the fields of `sections`, each
//! value tagged by its kind (`concealed`, `string`, `totp`, `monthYear`, `address`, …). Times are
//! Unix seconds. Older exports wrap each item as `{ "item": … }` and mark deletion `trashed`, newer
//! ones use `state: "archived"`: both are read. Every value is read leniently, as a JSON value.

use std::io::Read;

use keyhaven_vault::item::{
    Card, CustomField, Identity, Item, ItemContent, ItemDraft, Login, PasswordHistoryEntry,
    SecureNote, PASSWORD_HISTORY_LEN,
};
use serde_json::Value;
use uuid::Uuid;

use crate::time::now_ms;
use crate::{Format, ImportError, Imported, NotKept, Skipped, MAX_FILE_BYTES};

const FORMAT: &str = "1Password (.1pux)";
const DATA_FILE: &str = "export.data";

/// Whether `bytes` begin like a zip archive.
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads every active item of every vault in the export.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let wrong = |detail: String| ImportError::WrongFormat {
        file: file_name.to_owned(),
        format: FORMAT,
        detail,
    };
    if !looks_like_zip(bytes) {
        return Err(wrong("it is not a zip archive, as a .1pux file is".into()));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| wrong(format!("it is a damaged or cut-short zip archive ({e})")))?;
    let mut entry = archive
        .by_name(DATA_FILE)
        .map_err(|_| wrong(format!("the archive holds no {DATA_FILE}")))?;
    if entry.size() > MAX_FILE_BYTES as u64 {
        return Err(ImportError::TooLarge {
            file: file_name.to_owned(),
            limit_mib: MAX_FILE_BYTES / (1024 * 1024),
        });
    }
    let mut data = Vec::new();
    (&mut entry)
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| wrong(format!("its {DATA_FILE} cannot be unpacked ({e})")))?;
    if data.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            file: file_name.to_owned(),
            limit_mib: MAX_FILE_BYTES / (1024 * 1024),
        });
    }
    let export: Value = serde_json::from_slice(&data)
        .map_err(|e| wrong(format!("its {DATA_FILE} is not valid JSON ({e})")))?;
    let accounts = export
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or_else(|| wrong(format!("its {DATA_FILE} lists no accounts")))?;
    let vaults: Vec<&Value> = accounts
        .iter()
        .filter_map(|a| a.get("vaults").and_then(Value::as_array))
        .flatten()
        .collect();
    let mut out = Imported {
        format: Format::OnePassword1pux,
        items: Vec::new(),
        skipped: Vec::new(),
        not_kept: Vec::new(),
    };
    let now = now_ms();
    let name_folders = vaults.len() > 1;
    for vault in vaults {
        let vault_name = text(vault.pointer("/attrs/name"));
        let folder =
            (name_folders && !vault_name.trim().is_empty()).then(|| vault_name.trim().to_owned());
        for entry in vault
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let item = entry.get("item").unwrap_or(entry);
            convert(item, folder.clone(), now, &mut out);
        }
    }
    Ok(out)
}

fn convert(item: &Value, folder: Option<String>, now: i64, out: &mut Imported) {
    let title = match text(item.pointer("/overview/title")).trim() {
        "" => "(untitled)".to_owned(),
        t => t.to_owned(),
    };
    if item.get("trashed").and_then(Value::as_bool) == Some(true)
        || matches!(
            item.get("state").and_then(Value::as_str),
            Some("archived" | "deleted")
        )
    {
        out.skipped.push(Skipped {
            title,
            reason: "it is archived or deleted in 1Password".into(),
        });
        return;
    }
    let details = item.get("details").unwrap_or(&Value::Null);
    let notes = text(details.get("notesPlain"));
    let fields = Fields::of(details);
    let mut not_kept: Vec<String> = fields.not_kept.clone();
    if let Some(name) = details
        .pointer("/documentAttributes/fileName")
        .and_then(Value::as_str)
    {
        not_kept.push(format!("the document {name}"));
    }
    if details.get("passkey").is_some_and(|p| !p.is_null()) {
        let site = text(details.pointer("/passkey/rpId"));
        not_kept.push(if site.is_empty() {
            "a passkey".to_owned()
        } else {
            format!("the passkey for {site}")
        });
    }
    let category = text(item.get("categoryUuid"));
    let content = match category.as_str() {
        "002" => fields.card(notes),
        "004" => fields.identity(notes),
        "003" | "006" if fields.is_empty() => ItemContent::SecureNote(SecureNote {
            notes,
            ..SecureNote::default()
        }),
        _ => fields.login(item, notes),
    };
    let created_at = seconds(item.get("createdAt")).unwrap_or(now);
    let updated_at = seconds(item.get("updatedAt"))
        .unwrap_or(created_at)
        .max(created_at);
    let draft = ItemDraft {
        title: title.clone(),
        content,
        favourite: number(item.get("favIndex")).is_some_and(|n| n > 0),
        folder,
        tags: item
            .pointer("/overview/tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let mut imported = Item::new(draft, Uuid::new_v4(), now);
    imported.created_at = created_at;
    imported.updated_at = updated_at;
    imported.password_history = history(details.get("passwordHistory"), updated_at);
    out.not_kept
        .extend(not_kept.into_iter().map(|what| NotKept {
            item: title.clone(),
            what,
        }));
    out.items.push(imported);
}

/// An item's fields, by what they hold.
#[derive(Default)]
struct Fields {
    username: Option<String>,
    password: Option<String>,
    totp: Option<String>,
    urls: Vec<String>,
    /// (section field id, title, value, hidden)
    rest: Vec<(String, String, String, bool)>,
    not_kept: Vec<String>,
}

impl Fields {
    fn of(details: &Value) -> Self {
        let mut fields = Self::default();
        for field in details
            .get("loginFields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let value = text(field.get("value"));
            match field.get("designation").and_then(Value::as_str) {
                Some("username") if fields.username.is_none() => fields.username = Some(value),
                Some("password") if fields.password.is_none() => fields.password = Some(value),
                _ if value.is_empty() => {}
                _ => {
                    let name = match text(field.get("name")) {
                        n if n.is_empty() => text(field.get("id")),
                        n => n,
                    };
                    let hidden = text(field.get("fieldType")) == "P";
                    fields.rest.push((String::new(), name, value, hidden));
                }
            }
        }
        if let Some(password) = details.get("password").and_then(Value::as_str) {
            fields.password.get_or_insert_with(|| password.to_owned());
        }
        for section in details
            .get("sections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for field in section
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                fields.add_section_field(field);
            }
        }
        fields
    }

    fn add_section_field(&mut self, field: &Value) {
        let id = text(field.get("id"));
        let title = match text(field.get("title")) {
            t if t.is_empty() => id.clone(),
            t => t,
        };
        let Some((kind, value)) = field
            .get("value")
            .and_then(Value::as_object)
            .and_then(|v| v.iter().next())
        else {
            return;
        };
        let (text_value, hidden) = match kind.as_str() {
            "concealed" | "creditCardNumber" => (text(Some(value)), true),
            "totp" => {
                let secret = text(Some(value));
                if self.totp.is_none() && !secret.trim().is_empty() {
                    self.totp = Some(secret.trim().to_owned());
                    return;
                }
                (secret, true)
            }
            "url" => {
                let url = text(Some(value));
                if !url.trim().is_empty() && !self.urls.contains(&url) {
                    self.urls.push(url.trim().to_owned());
                }
                return;
            }
            "address" => (address_text(value), false),
            "email" => (
                value
                    .get("email_address")
                    .map_or_else(|| text(Some(value)), |e| text(Some(e))),
                false,
            ),
            "date" => (
                seconds(Some(value))
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                false,
            ),
            "monthYear" => (
                month_year(value).map_or_else(String::new, |(y, m)| format!("{m:02}/{y}")),
                false,
            ),
            "file" => {
                let name = text(value.get("fileName"));
                self.not_kept.push(format!(
                    "the attachment {}",
                    if name.is_empty() { &title } else { &name }
                ));
                return;
            }
            "sshKey" => (text(value.get("privateKey")), true),
            "reference" => return,
            _ => (text(Some(value)), false),
        };
        if text_value.is_empty() {
            return;
        }
        self.rest.push((id, title, text_value, hidden));
    }

    fn is_empty(&self) -> bool {
        self.username.is_none()
            && self.password.is_none()
            && self.totp.is_none()
            && self.urls.is_empty()
            && self.rest.is_empty()
    }

    /// Takes the first section field whose id is one of `ids`.
    fn take(&mut self, ids: &[&str]) -> String {
        self.take_some(ids).unwrap_or_default()
    }

    fn take_some(&mut self, ids: &[&str]) -> Option<String> {
        let at = self
            .rest
            .iter()
            .position(|(id, ..)| ids.contains(&id.as_str()))?;
        Some(self.rest.remove(at).2)
    }

    fn card(mut self, notes: String) -> ItemContent {
        let expiry = self.rest.iter().position(|(id, ..)| id == "expiry");
        let (expiry_month, expiry_year) = match expiry.map(|at| self.rest.remove(at).2) {
            Some(text) => {
                let mut parts = text.split('/');
                (
                    parts.next().and_then(|m| m.parse().ok()),
                    parts.next().and_then(|y| y.parse().ok()),
                )
            }
            None => (None, None),
        };
        let card = Card {
            cardholder_name: self.take(&["cardholder"]),
            number: self.take(&["ccnum"]),
            expiry_month: expiry_month.filter(|m| (1..=12).contains(m)),
            expiry_year,
            security_code: self.take(&["cvv"]),
            brand: self.take(&["type"]),
            notes: with_rest(notes, &self.rest),
            ..Card::default()
        };
        ItemContent::Card(card)
    }

    fn identity(mut self, notes: String) -> ItemContent {
        let address = self.take(&["address"]);
        let identity = Identity {
            first_name: self.take(&["firstname"]),
            last_name: self.take(&["lastname"]),
            email: self.take(&["email"]),
            phone: self.take(&["defphone", "cellphone", "homephone", "busphone"]),
            company: self.take(&["company"]),
            address,
            notes: with_rest(notes, &self.rest),
            ..Identity::default()
        };
        ItemContent::Identity(identity)
    }

    fn login(mut self, item: &Value, notes: String) -> ItemContent {
        let mut urls: Vec<String> = item
            .pointer("/overview/urls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|u| text(u.get("url")).trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        let main = text(item.pointer("/overview/url")).trim().to_owned();
        if !main.is_empty() && !urls.contains(&main) {
            urls.insert(0, main);
        }
        for url in std::mem::take(&mut self.urls) {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        // Items of other categories (servers, databases, e-mail accounts) name their username
        // and password as section fields.
        if self.username.is_none() {
            self.username = self.take_some(&["username"]);
        }
        if self.password.is_none() {
            self.password = self.take_some(&["password"]);
        }
        ItemContent::Login(Login {
            username: self.username.unwrap_or_default(),
            password: self.password.unwrap_or_default(),
            urls,
            notes,
            totp_secret: self.totp,
            custom_fields: self
                .rest
                .into_iter()
                .map(|(_, name, value, hidden)| CustomField {
                    name,
                    value,
                    hidden,
                })
                .collect(),
            ..Login::default()
        })
    }
}

/// Notes followed by the fields a card or identity has no place for.
fn with_rest(notes: String, rest: &[(String, String, String, bool)]) -> String {
    let lines = rest
        .iter()
        .map(|(_, name, value, _)| format!("{name}: {value}"))
        .collect();
    crate::notes_with_lines(notes, lines)
}

fn address_text(value: &Value) -> String {
    match value {
        Value::Object(parts) => ["street", "city", "state", "zip", "country"]
            .iter()
            .filter_map(|k| parts.get(*k).and_then(Value::as_str))
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        other => text(Some(other)),
    }
}

/// A `monthYear` value (`202512`, as a number or string) as (year, month).
fn month_year(value: &Value) -> Option<(u16, u8)> {
    let n = number(Some(value))?;
    let (year, month) = (n / 100, n % 100);
    ((1..=12).contains(&month) && (1900..=9999).contains(&year))
        .then_some((year as u16, month as u8))
}

fn history(entries: Option<&Value>, fallback: i64) -> Vec<PasswordHistoryEntry> {
    let mut history: Vec<PasswordHistoryEntry> = entries
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let password = text(entry.get("value"));
            (!password.is_empty()).then(|| PasswordHistoryEntry {
                password,
                replaced_at: seconds(entry.get("time")).unwrap_or(fallback),
            })
        })
        .collect();
    history.sort_by_key(|entry| std::cmp::Reverse(entry.replaced_at));
    history.truncate(PASSWORD_HISTORY_LEN);
    history
}

/// A JSON value as text: strings as they are, numbers and booleans spelled out.
fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(_) | Value::Object(_)) => String::new(),
        Some(other) => other.to_string(),
    }
}

fn number(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Unix seconds (1Password's times) as milliseconds.
fn seconds(value: Option<&Value>) -> Option<i64> {
    number(value)
        .filter(|s| *s > 0)
        .and_then(|s| s.checked_mul(1000))
}
