//! The Settings screen: read and save the person's preferences.

use tauri::State;

use crate::error::CommandError;
use crate::settings::Settings;
use crate::state::AppState;

/// The current settings (defaults where never set).
#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.settings()
}

/// Saves the settings and applies them at once; values out of range are refused.
#[tauri::command]
#[specta::specta]
pub fn update_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, CommandError> {
    Ok(state.update_settings(settings)?)
}
