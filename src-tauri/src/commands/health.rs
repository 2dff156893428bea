//! The Health screen: the password-health report, and the leak check when the person turned it on.

use keyhaven_client::health::{check_leaked_passwords, leak_check_url, LeakCheckDone};
use keyhaven_vault::health::HealthReport;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// The report of weak, reused, old, insecure and leaked logins (the vault is released while the
/// facts of items that arrived without them are worked out).
#[tauri::command]
#[specta::specta]
pub async fn health_report(state: State<'_, AppState>) -> Result<HealthReport, CommandError> {
    let vault = state.shared_vault();
    state.touch();
    tauri::async_runtime::spawn_blocking(move || keyhaven_client::health::health_report(&vault))
        .await
        .map_err(|e| CommandError::new("health_report_failed", e.to_string()))?
        .map_err(CommandError::from)
}

/// Checks the passwords against Have I Been Pwned; refused unless the person turned it on.
#[tauri::command]
#[specta::specta]
pub async fn check_leaked_passwords_now(
    state: State<'_, AppState>,
) -> Result<LeakCheckDone, CommandError> {
    let settings = state.settings();
    if !settings.leak_check {
        return Err(CommandError::new(
            "leak_check_off",
            "checking for leaked passwords is off; turn it on in Settings first",
        ));
    }
    let endpoint = leak_check_url(Some(&settings.leak_check_url));
    check_leaked_passwords(&state.shared_vault(), &endpoint)
        .await
        .map_err(|e| CommandError::new(e.code(), e.to_string()))
}
