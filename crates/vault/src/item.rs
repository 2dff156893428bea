//! The item model: what a person stores, serialized as JSON inside each sealed blob.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Result, VaultError};

/// How many previous passwords a login remembers.
pub const PASSWORD_HISTORY_LEN: usize = 10;

/// Fields a newer Keyhaven wrote that this build does not know; kept so a save loses nothing.
pub type UnknownFields = BTreeMap<String, Value>;

/// One stored item: common metadata plus the type-specific content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Item {
    pub id: Uuid,
    pub title: String,
    pub content: ItemContent,
    #[serde(default)]
    pub favourite: bool,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
    #[serde(default)]
    pub password_history: Vec<PasswordHistoryEntry>,
    /// Values another device's change replaced while both devices edited the same field.
    #[serde(default)]
    pub field_history: Vec<FieldHistoryEntry>,
    /// Set when a sync kept one of this item's values only in its history, until the person looks.
    #[serde(default)]
    pub needs_review: bool,
    #[serde(flatten)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// How many replaced field values an item keeps from sync conflicts.
pub const FIELD_HISTORY_LEN: usize = 50;

/// A field value that lost to another device's change of the same field, kept for review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldHistoryEntry {
    /// Dotted path of the field in the item (`title`, `content.username`, `content.custom_fields`).
    pub field: String,
    /// The replaced value: text as it was, anything else as JSON.
    pub value: String,
    /// Milliseconds since the Unix epoch.
    pub replaced_at: i64,
}

/// What a caller supplies to create or replace an item; ids and times are the store's job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ItemDraft {
    pub title: String,
    pub content: ItemContent,
    #[serde(default)]
    pub favourite: bool,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The type-specific part of an item, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "specta",
    derive(specta::Type),
    serde(tag = "type", rename_all = "snake_case")
)]
pub enum ItemContent {
    Login(Login),
    SecureNote(SecureNote),
    Card(Card),
    Identity(Identity),
    /// A type a newer Keyhaven wrote; kept verbatim so that saving the item loses nothing.
    #[cfg_attr(feature = "specta", specta(skip))]
    Other(OtherContent),
}

/// The content of an item type this build does not know: its `type` tag and every other field.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherContent {
    pub kind: String,
    pub fields: UnknownFields,
}

/// The known types, as serde's internally tagged enum (borrowed, for serializing).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KnownContent<'a> {
    Login(&'a Login),
    SecureNote(&'a SecureNote),
    Card(&'a Card),
    Identity(&'a Identity),
}

impl Serialize for ItemContent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Self::Login(x) => KnownContent::Login(x).serialize(serializer),
            Self::SecureNote(x) => KnownContent::SecureNote(x).serialize(serializer),
            Self::Card(x) => KnownContent::Card(x).serialize(serializer),
            Self::Identity(x) => KnownContent::Identity(x).serialize(serializer),
            Self::Other(other) => {
                let mut map = serializer.serialize_map(Some(other.fields.len() + 1))?;
                map.serialize_entry("type", &other.kind)?;
                for (key, value) in &other.fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ItemContent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::deserialize(deserializer)?;
        let kind = match fields.remove("type") {
            Some(Value::String(kind)) => kind,
            _ => return Err(D::Error::missing_field("type")),
        };
        let known = |fields| Value::Object(fields);
        let content = match kind.as_str() {
            "login" => serde_json::from_value(known(fields)).map(Self::Login),
            "secure_note" => serde_json::from_value(known(fields)).map(Self::SecureNote),
            "card" => serde_json::from_value(known(fields)).map(Self::Card),
            "identity" => serde_json::from_value(known(fields)).map(Self::Identity),
            _ => Ok(Self::Other(OtherContent {
                kind,
                fields: fields.into_iter().collect(),
            })),
        };
        content.map_err(D::Error::custom)
    }
}

/// A website or app login.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Login {
    pub username: String,
    pub password: String,
    pub urls: Vec<String>,
    pub notes: String,
    pub totp_secret: Option<String>,
    pub custom_fields: Vec<CustomField>,
    #[serde(flatten)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// Free text kept secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SecureNote {
    pub notes: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// A payment card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Card {
    pub cardholder_name: String,
    pub number: String,
    pub expiry_month: Option<u8>,
    pub expiry_year: Option<u16>,
    pub security_code: String,
    pub brand: String,
    pub notes: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// A person's identity details for forms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Identity {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub address: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub notes: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// A named extra field; hidden ones are masked like passwords.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CustomField {
    pub name: String,
    pub value: String,
    pub hidden: bool,
}

/// A password a login used before, with when it was replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PasswordHistoryEntry {
    pub password: String,
    /// Milliseconds since the Unix epoch.
    pub replaced_at: i64,
}

/// The kind of an item, for filters and listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Login,
    SecureNote,
    Card,
    Identity,
    /// A type from a newer Keyhaven.
    #[serde(other)]
    Other,
}

impl ItemContent {
    pub fn kind(&self) -> ItemKind {
        match self {
            Self::Login(_) => ItemKind::Login,
            Self::SecureNote(_) => ItemKind::SecureNote,
            Self::Card(_) => ItemKind::Card,
            Self::Identity(_) => ItemKind::Identity,
            Self::Other(_) => ItemKind::Other,
        }
    }

    /// The secondary line shown under the title in lists; never a secret.
    pub fn subtitle(&self) -> String {
        match self {
            Self::Login(login) => login.username.clone(),
            Self::SecureNote(_) => String::new(),
            Self::Card(card) => card_subtitle(&card.brand, &card.number),
            Self::Identity(id) => identity_subtitle(&id.first_name, &id.last_name),
            Self::Other(_) => String::new(),
        }
    }

    /// The login's URLs, empty for other kinds.
    pub fn urls(&self) -> &[String] {
        match self {
            Self::Login(login) => &login.urls,
            _ => &[],
        }
    }

    pub(crate) fn password(&self) -> Option<&str> {
        match self {
            Self::Login(login) => Some(&login.password),
            _ => None,
        }
    }
}

impl ItemDraft {
    /// Rejects drafts a person could not find again or that carry out-of-range values.
    pub fn validate(&self) -> Result<()> {
        if self.title.trim().is_empty() {
            return Err(VaultError::InvalidItem(
                "the title must not be empty".into(),
            ));
        }
        if let ItemContent::Login(Login {
            totp_secret: Some(secret),
            ..
        }) = &self.content
        {
            crate::totp::validate(secret)?;
        }
        if let ItemContent::Card(card) = &self.content {
            if card.expiry_month.is_some_and(|m| !(1..=12).contains(&m)) {
                return Err(VaultError::InvalidItem(
                    "the expiry month must be between 1 and 12".into(),
                ));
            }
        }
        Ok(())
    }
}

impl Item {
    /// Builds a new item from a draft at time `now`.
    pub fn new(draft: ItemDraft, id: Uuid, now: i64) -> Self {
        Self {
            id,
            title: draft.title,
            content: draft.content,
            favourite: draft.favourite,
            folder: draft.folder,
            tags: draft.tags,
            created_at: now,
            updated_at: now,
            password_history: Vec::new(),
            field_history: Vec::new(),
            needs_review: false,
            unknown: UnknownFields::new(),
        }
    }

    /// Applies an edit: keeps id, creation time and unknown fields, records a replaced password.
    pub fn apply(&mut self, draft: ItemDraft, now: i64) {
        if let (Some(old), Some(new)) = (self.content.password(), draft.content.password()) {
            if old != new && !old.is_empty() {
                self.password_history.insert(
                    0,
                    PasswordHistoryEntry {
                        password: old.to_string(),
                        replaced_at: now,
                    },
                );
                self.password_history.truncate(PASSWORD_HISTORY_LEN);
            }
        }
        let same_kind = self.content.kind() == draft.content.kind();
        let unknown_content = content_unknown_fields(&self.content).clone();
        self.title = draft.title;
        self.content = draft.content;
        if same_kind {
            let new_unknown = content_unknown_fields_mut(&mut self.content);
            for (key, value) in unknown_content {
                new_unknown.entry(key).or_insert(value);
            }
        }
        self.favourite = draft.favourite;
        self.folder = draft.folder;
        self.tags = draft.tags;
        self.updated_at = now;
    }

    /// The editable part of the item, as a draft.
    pub fn to_draft(&self) -> ItemDraft {
        ItemDraft {
            title: self.title.clone(),
            content: self.content.clone(),
            favourite: self.favourite,
            folder: self.folder.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// "Visa •••• 1234": the brand and only the last four digits of the number.
pub(crate) fn card_subtitle(brand: &str, number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last4: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    match (brand.is_empty(), last4.is_empty()) {
        (_, true) => brand.to_string(),
        (true, false) => format!("•••• {last4}"),
        (false, false) => format!("{brand} •••• {last4}"),
    }
}

pub(crate) fn identity_subtitle(first_name: &str, last_name: &str) -> String {
    format!("{first_name} {last_name}").trim().to_string()
}

fn content_unknown_fields(content: &ItemContent) -> &UnknownFields {
    match content {
        ItemContent::Login(x) => &x.unknown,
        ItemContent::SecureNote(x) => &x.unknown,
        ItemContent::Card(x) => &x.unknown,
        ItemContent::Identity(x) => &x.unknown,
        ItemContent::Other(x) => &x.fields,
    }
}

fn content_unknown_fields_mut(content: &mut ItemContent) -> &mut UnknownFields {
    match content {
        ItemContent::Login(x) => &mut x.unknown,
        ItemContent::SecureNote(x) => &mut x.unknown,
        ItemContent::Card(x) => &mut x.unknown,
        ItemContent::Identity(x) => &mut x.unknown,
        ItemContent::Other(x) => &mut x.fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn login(password: &str) -> ItemDraft {
        ItemDraft {
            title: "Example".into(),
            content: ItemContent::Login(Login {
                username: "ada".into(),
                password: password.into(),
                ..Login::default()
            }),
            favourite: false,
            folder: None,
            tags: vec![],
        }
    }

    #[test]
    fn fields_from_a_newer_version_survive_load_and_save() {
        let from_newer_app = json!({
            "id": Uuid::nil(),
            "title": "Bank",
            "content": {"type": "login", "username": "ada", "password": "pw", "passkey": {"rp": "bank.example"}},
            "created_at": 1, "updated_at": 2,
            "attachments": [{"name": "scan.pdf"}]
        });
        let mut item: Item = serde_json::from_value(from_newer_app).unwrap();
        item.apply(login("new"), 3);
        let saved = serde_json::to_value(&item).unwrap();
        assert_eq!(saved["attachments"], json!([{"name": "scan.pdf"}]));
        assert_eq!(saved["content"]["passkey"], json!({"rp": "bank.example"}));
        assert_eq!(saved["content"]["password"], json!("new"));
    }

    #[test]
    fn an_item_type_from_a_newer_version_survives_load_edit_and_save() {
        let from_newer_app = json!({
            "id": Uuid::nil(),
            "title": "Bank passkey",
            "content": {"type": "passkey", "rp_id": "bank.example", "credential": {"alg": -7}},
            "created_at": 1, "updated_at": 2
        });
        let mut item: Item = serde_json::from_value(from_newer_app.clone()).unwrap();
        assert_eq!(item.content.kind(), ItemKind::Other);
        let mut draft = item.to_draft();
        draft.title = "Bank".into();
        item.apply(draft, 3);
        let saved = serde_json::to_value(&item).unwrap();
        assert_eq!(saved["content"], from_newer_app["content"]);
        assert_eq!(saved["title"], "Bank");
    }

    #[test]
    fn content_without_a_type_is_refused() {
        let no_type = json!({"id": Uuid::nil(), "title": "x", "content": {"username": "a"}, "created_at": 1, "updated_at": 1});
        assert!(serde_json::from_value::<Item>(no_type).is_err());
    }

    #[test]
    fn changing_a_password_keeps_the_last_ten_in_history() {
        let mut item = Item::new(login("p0"), Uuid::new_v4(), 0);
        for n in 1..=12 {
            item.apply(login(&format!("p{n}")), n);
        }
        assert_eq!(item.password_history.len(), PASSWORD_HISTORY_LEN);
        assert_eq!(item.password_history[0].password, "p11");
        assert_eq!(item.password_history[9].password, "p2");
        item.apply(login("p12"), 13);
        assert_eq!(
            item.password_history[0].password, "p11",
            "an unchanged password adds no history"
        );
    }

    #[test]
    fn card_subtitle_shows_only_the_last_four_digits() {
        let card = ItemContent::Card(Card {
            number: "4111 1111 1111 1234".into(),
            brand: "Visa".into(),
            ..Card::default()
        });
        assert_eq!(card.subtitle(), "Visa •••• 1234");
    }

    #[test]
    fn drafts_without_a_title_are_refused() {
        let mut draft = login("x");
        draft.title = "  ".into();
        assert_eq!(draft.validate().unwrap_err().code(), "invalid_item");
    }
}
