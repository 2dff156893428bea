//! What the UI needs to know about the app itself.

use serde::Serialize;
use specta::Type;

use crate::error::CommandError;

/// The product, its version and whether this OS user already has a local vault.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AppInfo {
    pub product_name: String,
    pub version: String,
    pub has_local_vault: bool,
}

/// The product name people see (tauri.conf.json's `productName`).
pub const PRODUCT_NAME: &str = "Keyhaven";

/// Tells the welcome screen who we are and whether a vault exists on this computer.
#[tauri::command]
#[specta::specta]
pub fn app_info() -> Result<AppInfo, CommandError> {
    let vault_path = keyhaven_vault::paths::default_vault_path()?;
    Ok(AppInfo {
        product_name: PRODUCT_NAME.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        has_local_vault: vault_path.is_file(),
    })
}
