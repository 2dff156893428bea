//! Copying an item's secrets from Rust, so they never pass through the web view to get there.

use keyhaven_vault::item::{Item, ItemContent};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::state::AppState;

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

fn field_value(item: &Item, field: CopyField) -> Option<&str> {
    let value = match (&item.content, field) {
        (ItemContent::Login(login), CopyField::Username) => &login.username,
        (ItemContent::Login(login), CopyField::Password) => &login.password,
        (ItemContent::Login(login), CopyField::Custom { index }) => {
            &login.custom_fields.get(usize::try_from(index).ok()?)?.value
        }
        (ItemContent::Card(card), CopyField::CardNumber) => &card.number,
        (ItemContent::Card(card), CopyField::SecurityCode) => &card.security_code,
        (ItemContent::Identity(identity), CopyField::Email) => &identity.email,
        _ => return None,
    };
    Some(value.as_str()).filter(|v| !v.is_empty())
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
        Ok(Zeroizing::new(field_value(&item, field).map(str::to_owned)))
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
