//! Copying an item's secrets from Rust, so they never pass through the web view to get there.

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::state::AppState;
use keyhaven_vault::fields::{text_of, Field};

/// Which of an item's fields to copy.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum CopyField {
    Username,
    Password,
    CardNumber,
    SecurityCode,
    Email,
    /// A login's custom field, by position.
    Custom {
        index: u32,
    },
}

/// What the UI tells the person after a copy.
#[derive(Debug, Clone, Copy, Serialize, Type)]
pub struct Copied {
    /// Seconds until the clipboard is cleared; 0 when clearing is off.
    pub clears_after_seconds: u32,
}

impl From<CopyField> for Field {
    fn from(field: CopyField) -> Self {
        match field {
            CopyField::Username => Field::Username,
            CopyField::Password => Field::Password,
            CopyField::CardNumber => Field::CardNumber,
            CopyField::SecurityCode => Field::SecurityCode,
            CopyField::Email => Field::Email,
            CopyField::Custom { index } => Field::Custom(index),
        }
    }
}

/// Copies one field of an item; the clipboard is cleared after the setting's delay if unchanged.
#[tauri::command]
#[specta::specta]
pub fn copy_item_field(
    state: State<'_, AppState>,
    id: Uuid,
    field: CopyField,
) -> Result<Copied, CommandError> {
    let value = state.with_unlocked(|vault| {
        let item = vault.get(id)?;
        Ok(Zeroizing::new(
            text_of(&item, field.into())
                .filter(|text| !text.is_empty())
                .map(str::to_owned),
        ))
    })?;
    let value = value.as_deref().ok_or_else(|| {
        CommandError::new(
            "nothing_to_copy",
            "this item has nothing to copy in that field",
        )
    })?;
    Ok(Copied {
        clears_after_seconds: state.copy_secret(value)?,
    })
}

/// Copies text the UI shows (a generated password), cleared like any secret.
#[tauri::command]
#[specta::specta]
pub fn copy_text(state: State<'_, AppState>, text: String) -> Result<Copied, CommandError> {
    let text = Zeroizing::new(text);
    if text.is_empty() {
        return Err(CommandError::new(
            "nothing_to_copy",
            "there is nothing to copy",
        ));
    }
    Ok(Copied {
        clears_after_seconds: state.copy_secret(&text)?,
    })
}
