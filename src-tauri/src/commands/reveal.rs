//! What the item view receives: every field it shows, with secrets held back in Rust until the
//! person asks to see one (`reveal_item_field`) or copies it.

use keyhaven_vault::item::{Item, ItemContent};
use serde::Deserialize;
use specta::Type;
use tauri::State;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::commands::fields::{text_of, Field};
use crate::error::CommandError;
use crate::state::AppState;

/// Stands in for a secret in the item view: the UI knows the field is set, not its value.
pub const MASK: &str = "••••••••••";

/// A secret field of an item, for revealing it.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum SecretField {
    Password,
    TotpSecret,
    CardNumber,
    SecurityCode,
    /// A secure note's text.
    Notes,
    /// A login's hidden custom field, by position.
    Custom {
        index: u32,
    },
    /// A previous password from the history, by position.
    PreviousPassword {
        index: u32,
    },
    /// A value a sync conflict replaced, from the field history, by position.
    ReplacedValue {
        index: u32,
    },
}

/// Fields whose replaced values the item view may show as they are (the view shows them too).
const PLAIN_FIELDS: &[&str] = &[
    "title",
    "favourite",
    "folder",
    "tags",
    "content.username",
    "content.urls",
    "content.cardholder_name",
    "content.brand",
    "content.expiry_month",
    "content.expiry_year",
    "content.first_name",
    "content.last_name",
    "content.email",
    "content.phone",
    "content.company",
    "content.address",
    "content.city",
    "content.postal_code",
    "content.country",
];

/// Whether a replaced value of `field` is a secret in an item of this content.
fn is_secret_field(content: &ItemContent, field: &str) -> bool {
    match field {
        "content.notes" => matches!(content, ItemContent::SecureNote(_)),
        field => !PLAIN_FIELDS.contains(&field),
    }
}

fn mask(value: &mut String) {
    if !value.is_empty() {
        value.zeroize();
        value.push_str(MASK);
    }
}

/// The item with every secret replaced by [`MASK`] (and fields a newer Keyhaven wrote left out).
pub fn masked(mut item: Item) -> Item {
    match &mut item.content {
        ItemContent::Login(login) => {
            mask(&mut login.password);
            if let Some(secret) = login.totp_secret.as_mut() {
                mask(secret);
            }
            for field in login.custom_fields.iter_mut().filter(|f| f.hidden) {
                mask(&mut field.value);
            }
            login.unknown.clear();
        }
        ItemContent::SecureNote(note) => {
            mask(&mut note.notes);
            note.unknown.clear();
        }
        ItemContent::Card(card) => {
            mask(&mut card.number);
            mask(&mut card.security_code);
            card.unknown.clear();
        }
        ItemContent::Identity(identity) => identity.unknown.clear(),
        ItemContent::Other(other) => other.fields.clear(),
    }
    for entry in &mut item.password_history {
        mask(&mut entry.password);
    }
    for entry in &mut item.field_history {
        if is_secret_field(&item.content, &entry.field) {
            mask(&mut entry.value);
        }
    }
    item.unknown.clear();
    item
}

impl From<SecretField> for Field {
    fn from(field: SecretField) -> Self {
        match field {
            SecretField::Password => Field::Password,
            SecretField::TotpSecret => Field::TotpSecret,
            SecretField::CardNumber => Field::CardNumber,
            SecretField::SecurityCode => Field::SecurityCode,
            SecretField::Notes => Field::Notes,
            SecretField::Custom { index } => Field::Custom(index),
            SecretField::PreviousPassword { index } => Field::PreviousPassword(index),
            SecretField::ReplacedValue { index } => Field::ReplacedValue(index),
        }
    }
}

/// One item for its detail view, secrets masked.
#[tauri::command]
#[specta::specta]
pub fn get_item(state: State<'_, AppState>, id: Uuid) -> Result<Item, CommandError> {
    Ok(masked(state.with_unlocked(|vault| vault.get(id))?))
}

/// One item in full, for its edit form.
#[tauri::command]
#[specta::specta]
pub fn get_item_for_edit(state: State<'_, AppState>, id: Uuid) -> Result<Item, CommandError> {
    Ok(state.with_unlocked(|vault| vault.get(id))?)
}

/// The value of one secret field, when the person presses Show.
#[tauri::command]
#[specta::specta]
pub fn reveal_item_field(
    state: State<'_, AppState>,
    id: Uuid,
    field: SecretField,
) -> Result<String, CommandError> {
    let item = state.with_unlocked(|vault| vault.get(id))?;
    text_of(&item, field.into())
        .map(str::to_owned)
        .ok_or_else(|| CommandError::new("no_such_field", "this item has no such secret field"))
}
