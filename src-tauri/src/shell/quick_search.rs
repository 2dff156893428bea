//! The quick-search window: a small window over the others to find an item and copy from it.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use super::{show_main_window, QUICK_SEARCH_WINDOW};
use crate::state::AppState;

/// Opens the quick-search window (created on first use), or the main window to unlock first.
pub fn show_quick_search<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if !app.state::<AppState>().status().unlocked {
        show_main_window(app);
        return Ok(());
    }
    let window = match app.get_webview_window(QUICK_SEARCH_WINDOW) {
        Some(window) => window,
        None => WebviewWindowBuilder::new(
            app,
            QUICK_SEARCH_WINDOW,
            WebviewUrl::App("index.html".into()),
        )
        .title("Keyhaven quick search")
        .inner_size(560.0, 380.0)
        .resizable(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .center()
        .visible(false)
        .build()?,
    };
    window.show()?;
    window.set_focus()?;
    Ok(())
}
