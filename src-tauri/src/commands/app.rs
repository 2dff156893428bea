//! What the UI needs to know about the app itself.

use serde::Serialize;
use specta::Type;

/// The product and its version.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AppInfo {
    pub product_name: String,
    pub version: String,
}

/// The product name people see (tauri.conf.json's `productName`).
pub const PRODUCT_NAME: &str = "Keyhaven";

/// Tells the UI who we are.
#[tauri::command]
#[specta::specta]
pub fn app_info() -> AppInfo {
    AppInfo {
        product_name: PRODUCT_NAME.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// The person is using the app (keys, pointer): postpones auto-lock. The UI calls it at most every few seconds.
#[tauri::command]
#[specta::specta]
pub fn note_activity(state: tauri::State<'_, crate::state::AppState>) {
    state.touch();
}
