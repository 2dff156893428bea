//! What the item view receives: every field it shows, with secrets held back in Rust until the
//! person asks to see one (`reveal_item_field`) or copies it.

use keyhaven_vault::item::Item;
use keyhaven_vault::masked::MaskedItem;
use serde::Deserialize;
use specta::Type;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandError;
use crate::state::AppState;
use keyhaven_vault::fields::{text_of, Field};

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
pub fn get_item(state: State<'_, AppState>, id: Uuid) -> Result<MaskedItem, CommandError> {
    Ok(MaskedItem::new(state.with_unlocked(|vault| vault.get(id))?))
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
