//! The desktop shell around the windows: the main window (its boot data, close-to-tray,
//! bringing it back), the [`tray`] icon and menu, and the [`quick_search`] window.

mod file_picker;
mod quick_search;
mod tray;

pub use file_picker::file_picker;
pub use quick_search::show_quick_search;
pub use tray::{install_tray, open_connect, refresh_tray};

use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder, WindowEvent};

use crate::state::AppState;

/// The main window's label (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";
/// The quick-search window's label; its capability grants fewer commands than the main window's.
pub const QUICK_SEARCH_WINDOW: &str = "quick-search";
/// The command-line flag that opens quick search (also in the running instance).
pub const QUICK_SEARCH_ARG: &str = "--quick-search";

/// What the page gets before it loads: enough to draw the first screen without a command round
/// trip. Nothing secret is in it.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct Boot {
    pub status: crate::state::VaultStatus,
    pub theme: crate::settings::Theme,
    pub app: crate::commands::app::AppInfo,
}

/// A script that runs before the page's own: hands the UI the [`Boot`] data.
pub fn boot_script(state: &AppState) -> String {
    let boot = Boot {
        status: state.status(),
        theme: state.settings().theme,
        app: crate::commands::app::app_info(),
    };
    let json = serde_json::to_string(&boot).unwrap_or_else(|_| "null".into());
    format!("window.__KEYHAVEN_BOOT__ = Object.freeze({json});")
}

/// Creates the main window as tauri.conf.json describes it (`create: false` there), with the boot script.
pub fn create_main_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN_WINDOW)
        .cloned()
        .ok_or(tauri::Error::WindowNotFound)?;
    WebviewWindowBuilder::from_config(app, &config)?
        .initialization_script(boot_script(&app.state::<AppState>()))
        .build()?;
    Ok(())
}

/// Shows, unminimises and focuses the main window.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    if let Some(quick) = app.get_webview_window(QUICK_SEARCH_WINDOW) {
        let _ = quick.hide();
    }
}

/// A second launch of the app: quick search when asked for, else the main window.
pub fn on_second_launch<R: Runtime>(app: &AppHandle<R>, argv: &[String]) {
    if argv.iter().any(|arg| arg == QUICK_SEARCH_ARG) {
        if let Err(err) = show_quick_search(app) {
            eprintln!("keyhaven: quick search: {err}");
        }
    } else {
        show_main_window(app);
    }
}

/// Quits: clears a secret we left on the clipboard, then exits.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    app.state::<AppState>().clear_clipboard_if_ours();
    app.exit(0);
}

/// Closing the main window hides it while close-to-tray is on, else quits (a hidden quick-search
/// window must not keep the app alive); closing quick search hides it.
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let app = window.app_handle();
    let to_tray = window.label() == QUICK_SEARCH_WINDOW
        || (window.label() == MAIN_WINDOW && app.state::<AppState>().settings().close_to_tray);
    if to_tray {
        api.prevent_close();
        let _ = window.hide();
    } else if window.label() == MAIN_WINDOW {
        quit(app);
    }
}
