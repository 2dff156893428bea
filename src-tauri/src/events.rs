//! Events Rust sends to every window, typed in the generated bindings.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::state::VaultStatus;

/// The vault was created, unlocked or locked — by this window, another, the tray or auto-lock.
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct VaultStatusChanged(pub VaultStatus);
