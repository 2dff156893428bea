//! The reminder to connect a local vault to Keyhaven Account.

use tauri::State;

use crate::account_state::AccountState;
use crate::reminders::Reminders;

/// Whether to show the reminder now (never once this device is signed in).
#[tauri::command]
#[specta::specta]
pub fn connect_reminder_due(
    account: State<'_, AccountState>,
    reminders: State<'_, Reminders>,
) -> bool {
    reminders.due(account.link().is_some())
}

/// The person answered the reminder (*Later*, *Connect* or *Create account*).
#[tauri::command]
#[specta::specta]
pub fn answer_connect_reminder(reminders: State<'_, Reminders>) {
    reminders.answered();
}
