//! Items of the unlocked vault: read one, add, edit, delete.

use keyhaven_vault::item::{Item, ItemDraft};
use tauri::State;
use uuid::Uuid;

use crate::error::CommandError;
use crate::state::AppState;

/// One item in full, for its detail view and edit form.
#[tauri::command]
#[specta::specta]
pub fn get_item(state: State<'_, AppState>, id: Uuid) -> Result<Item, CommandError> {
    Ok(state.with_unlocked(|vault| vault.get(id))?)
}

/// Adds an item and returns it with its id and times.
#[tauri::command]
#[specta::specta]
pub fn add_item(state: State<'_, AppState>, draft: ItemDraft) -> Result<Item, CommandError> {
    Ok(state.with_unlocked(|vault| vault.add(draft))?)
}

/// Replaces an item's fields; a replaced password goes into its history.
#[tauri::command]
#[specta::specta]
pub fn update_item(
    state: State<'_, AppState>,
    id: Uuid,
    draft: ItemDraft,
) -> Result<Item, CommandError> {
    Ok(state.with_unlocked(|vault| vault.update(id, draft))?)
}

/// Deletes an item (a tombstone stays for sync).
#[tauri::command]
#[specta::specta]
pub fn delete_item(state: State<'_, AppState>, id: Uuid) -> Result<(), CommandError> {
    Ok(state.with_unlocked(|vault| vault.delete(id))?)
}
