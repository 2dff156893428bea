//! Events Rust sends to every window, typed in the generated bindings.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::commands::account::AccountView;
use crate::state::VaultStatus;

/// The vault was created, unlocked or locked — by this window, another, the tray or auto-lock.
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct VaultStatusChanged(pub VaultStatus);

/// The account or sync status changed (signed in or out, a sync started, finished or failed).
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct AccountChanged(pub AccountView);

/// A sync brought changes from the account's other devices: lists and open items reload.
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct VaultItemsChanged;

/// The tray's *Connect to Keyhaven Account…*: the main window opens the connect screen (or the
/// account settings when already signed in).
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct OpenConnect;

/// How far an import is: `done` of `total` items stored (in one transaction, so none are
/// visible until all are).
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct ImportProgress {
    pub done: u32,
    pub total: u32,
}
