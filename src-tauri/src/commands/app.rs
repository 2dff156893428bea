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

/// Environment variable that makes the app report when its first screen is painted
/// (`scripts/measure-startup.mjs` compares that with an empty Tauri app).
pub const STARTUP_PROBE_ENV: &str = "KEYHAVEN_STARTUP_PROBE";

/// The UI has painted its first screen: starts what was deferred until then (the tray). With
/// `KEYHAVEN_STARTUP_PROBE` set it also prints `ui-ready` on stdout, for the start-up measurement.
#[tauri::command]
#[specta::specta]
pub fn ui_ready(state: tauri::State<'_, crate::state::AppState>) {
    static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if std::env::var_os(STARTUP_PROBE_ENV).is_some()
        && !REPORTED.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        use std::io::Write;
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "ui-ready");
        let _ = stdout.flush();
    }
    state.first_paint_done();
}
