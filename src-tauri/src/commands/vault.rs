//! The local vault: status, create, unlock, lock, list. The vault key never leaves Rust.

use keyhaven_vault::item::ItemKind;
use keyhaven_vault::search::ItemSummary;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use zeroize::Zeroizing;

use crate::account_state::AccountState;
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
    account: State<'_, AccountState>,
    master_password: String,
) -> Result<VaultStatus, CommandError> {
    let master_password = Zeroizing::new(master_password);
    state.unlock(&master_password)?;
    account.start_syncing(&state);
    Ok(state.status())
}

/// Changes the master password (the current one is asked again); a connected vault sends the
/// new key material to Keyhaven Account at once (or with the next sync, when offline), and the
/// other devices ask for the new password at their next unlock.
#[tauri::command]
#[specta::specta]
pub async fn change_master_password(
    state: State<'_, AppState>,
    account: State<'_, AccountState>,
    current_password: String,
    new_password: String,
) -> Result<(), CommandError> {
    let current = Zeroizing::new(current_password);
    let new = Zeroizing::new(new_password);
    state.change_master_password(&current, &new)?;
    account.sync_now();
    Ok(())
}

/// What the vault's sealed state says of it, and the items from Keyhaven Account that did not
/// pass their checks.
#[derive(Debug, Clone, Serialize, Type)]
pub struct VaultIntegrity {
    /// When and on which device the vault last changed (connected vaults, once synced).
    pub last_change: Option<LastChangeView>,
    pub quarantined: Vec<QuarantinedView>,
}

/// "Last changed <when> on <device>".
#[derive(Debug, Clone, Serialize, Type)]
pub struct LastChangeView {
    /// Unix milliseconds, by the writing device's clock.
    pub at: f64,
    pub device_name: String,
}

/// An item kept aside because its copy from Keyhaven Account failed its checks.
#[derive(Debug, Clone, Serialize, Type)]
pub struct QuarantinedView {
    pub item_id: uuid::Uuid,
    pub reason: String,
    /// Unix milliseconds.
    pub found_at: f64,
}

/// The vault's last change and its quarantine, for Settings and the status line.
#[tauri::command]
#[specta::specta]
pub fn vault_integrity(state: State<'_, AppState>) -> Result<VaultIntegrity, CommandError> {
    Ok(state.with_unlocked(|vault| {
        Ok(VaultIntegrity {
            last_change: vault.last_change()?.map(|change| LastChangeView {
                at: change.at as f64,
                device_name: change.device_name,
            }),
            quarantined: vault
                .quarantined()?
                .into_iter()
                .map(|item| QuarantinedView {
                    item_id: item.item_id,
                    reason: item.reason,
                    found_at: item.found_at as f64,
                })
                .collect(),
        })
    })?)
}

/// Locks the vault: drops and zeroes the key and everything decrypted.
#[tauri::command]
#[specta::specta]
pub fn lock_vault(state: State<'_, AppState>) -> VaultStatus {
    state.lock();
    state.status()
}

/// Which items the list shows besides the search.
#[derive(Debug, Clone, Deserialize, Type)]
#[serde(tag = "show", rename_all = "snake_case")]
pub enum ItemFilter {
    All,
    Favourites,
    Kind { kind: ItemKind },
    Folder { folder: String },
}

impl ItemFilter {
    fn admits(&self, item: &ItemSummary) -> bool {
        match self {
            Self::All => true,
            Self::Favourites => item.favourite,
            Self::Kind { kind } => item.kind == *kind,
            Self::Folder { folder } => item.folder.as_deref() == Some(folder.as_str()),
        }
    }
}

/// One window of the list: the rows from `offset`, and how many match in all (the list
/// renders only what is on screen, so 10,000 items cost what 30 do).
#[derive(Debug, Clone, Serialize, Type)]
pub struct ItemPage {
    pub total: u32,
    pub offset: u32,
    pub items: Vec<ItemSummary>,
}

/// The most rows one call returns.
pub const MAX_PAGE: u32 = 500;

/// Summaries of the items matching `query` and `filter` (all for an empty query), in title order,
/// `limit` rows from `offset`.
#[tauri::command]
#[specta::specta]
pub fn list_items(
    state: State<'_, AppState>,
    query: String,
    filter: ItemFilter,
    offset: u32,
    limit: u32,
) -> Result<ItemPage, CommandError> {
    Ok(state.with_unlocked(|vault| {
        let matching: Vec<&ItemSummary> = vault
            .search(&query)?
            .into_iter()
            .filter(|item| filter.admits(item))
            .collect();
        let start = (offset as usize).min(matching.len());
        let end = start
            .saturating_add(limit.min(MAX_PAGE) as usize)
            .min(matching.len());
        Ok(ItemPage {
            total: u32::try_from(matching.len()).unwrap_or(u32::MAX),
            offset: start as u32,
            items: matching[start..end]
                .iter()
                .map(|item| (*item).clone())
                .collect(),
        })
    })?)
}

/// The folder names in use, sorted, for the list's filter.
#[tauri::command]
#[specta::specta]
pub fn list_folders(state: State<'_, AppState>) -> Result<Vec<String>, CommandError> {
    Ok(state.with_unlocked(|vault| {
        let folders: std::collections::BTreeSet<String> = vault
            .list()?
            .into_iter()
            .filter_map(|item| item.folder.clone())
            .collect();
        Ok(folders.into_iter().collect())
    })?)
}
