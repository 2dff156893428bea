//! The local vault: status, create, unlock, lock, list. The vault key never leaves Rust.

use keyhaven_vault::search::ItemSummary;
use tauri::State;
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::state::{AppState, VaultStatus};

/// Whether a vault exists on this computer for this OS user, and whether it is unlocked.
#[tauri::command]
#[specta::specta]
pub fn vault_status(state: State<'_, AppState>) -> VaultStatus {
    state.status()
}

/// Creates the local vault protected by `master_password` and opens it.
#[tauri::command]
#[specta::specta]
pub async fn create_vault(
    state: State<'_, AppState>,
    master_password: String,
) -> Result<VaultStatus, CommandError> {
    let master_password = Zeroizing::new(master_password);
    state.create(&master_password)?;
    Ok(state.status())
}

/// Unlocks the local vault; `wrong_master_password` when the password is wrong.
#[tauri::command]
#[specta::specta]
pub async fn unlock_vault(
    state: State<'_, AppState>,
    master_password: String,
) -> Result<VaultStatus, CommandError> {
    let master_password = Zeroizing::new(master_password);
    state.unlock(&master_password)?;
    Ok(state.status())
}

/// Locks the vault: drops and zeroes the key and everything decrypted.
#[tauri::command]
#[specta::specta]
pub fn lock_vault(state: State<'_, AppState>) -> VaultStatus {
    state.lock();
    state.status()
}

/// Summaries of the items matching `query` (all items for an empty query), in title order.
#[tauri::command]
#[specta::specta]
pub fn list_items(
    state: State<'_, AppState>,
    query: String,
) -> Result<Vec<ItemSummary>, CommandError> {
    Ok(state.with_unlocked(|vault| Ok(vault.search(&query)?.into_iter().cloned().collect()))?)
}
