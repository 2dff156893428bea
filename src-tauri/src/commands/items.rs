//! Items of the unlocked vault: read one, add, edit, delete.

use keyhaven_vault::item::{Item, ItemDraft};
use keyhaven_vault::masked::MaskedItem;
use tauri::State;
use uuid::Uuid;

use crate::error::CommandError;
use crate::links::browsable_url;
use crate::state::AppState;

/// Adds an item and returns it (secrets masked, for the detail view) with its id and times.
#[tauri::command]
#[specta::specta]
pub fn add_item(state: State<'_, AppState>, draft: ItemDraft) -> Result<MaskedItem, CommandError> {
    Ok(MaskedItem::new(state.change(|vault| vault.add(draft))?))
}

/// Replaces an item's fields; a replaced password goes into its history. `base` is the item as
/// the edit form loaded it: when a sync changed the item since, the edit is merged into that
/// change instead of replacing it. Returns the item masked.
#[tauri::command]
#[specta::specta]
pub fn update_item(
    state: State<'_, AppState>,
    id: Uuid,
    draft: ItemDraft,
    base: Option<Item>,
) -> Result<MaskedItem, CommandError> {
    Ok(MaskedItem::new(state.change(|vault| match &base {
        Some(base) => vault.update_from(id, draft, base),
        None => vault.update(id, draft),
    })?))
}

/// Deletes an item (a tombstone stays for sync).
#[tauri::command]
#[specta::specta]
pub fn delete_item(state: State<'_, AppState>, id: Uuid) -> Result<(), CommandError> {
    Ok(state.change(|vault| vault.delete(id))?)
}

/// Clears the item's "changed on two devices" flag once the person has reviewed it; returns it masked.
#[tauri::command]
#[specta::specta]
pub fn mark_item_reviewed(
    state: State<'_, AppState>,
    id: Uuid,
) -> Result<MaskedItem, CommandError> {
    Ok(MaskedItem::new(
        state.change(|vault| vault.mark_reviewed(id))?,
    ))
}

/// Opens one of a login's URLs (by position) in the default browser; only http(s) addresses.
#[tauri::command]
#[specta::specta]
pub fn open_item_url(state: State<'_, AppState>, id: Uuid, index: u32) -> Result<(), CommandError> {
    let raw = state.with_unlocked(|vault| {
        let item = vault.get(id)?;
        Ok(usize::try_from(index)
            .ok()
            .and_then(|i| item.content.urls().get(i).cloned()))
    })?;
    let url = browsable_url(raw.as_deref().unwrap_or_default())?;
    open::that_detached(&url).map_err(|e| {
        CommandError::new(
            "url_not_opened",
            format!("the browser could not be started: {e}"),
        )
    })
}
