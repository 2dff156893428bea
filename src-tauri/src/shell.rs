//! The desktop shell around the windows: tray icon and menu, the quick-search window,
//! close-to-tray, and bringing the main window back.

use keyhaven_vault::generator::{generate, GeneratorOptions};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tauri_specta::Event as _;

use crate::account_state::AccountState;
use crate::state::{AppState, VaultStatus};

/// The main window's label (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";
/// The quick-search window's label; its capability grants fewer commands than the main window's.
pub const QUICK_SEARCH_WINDOW: &str = "quick-search";
/// The command-line flag that opens quick search (also in the running instance).
pub const QUICK_SEARCH_ARG: &str = "--quick-search";
const TRAY_ID: &str = "keyhaven";
const LOCK_ITEM: &str = "lock";

/// A script that runs before the page's own: hands the UI the vault status and theme, so the
/// first screen renders without waiting for a command round trip. Nothing secret is in it.
pub fn boot_script(state: &AppState) -> String {
    let boot = serde_json::json!({
        "status": state.status(),
        "theme": state.settings().theme,
        "app": crate::commands::app::app_info(),
    });
    format!("window.__KEYHAVEN_BOOT__ = Object.freeze({boot});")
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

fn generate_and_copy<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    match generate(&GeneratorOptions::default()) {
        Ok(password) => {
            if let Err(err) = state.copy_secret(&password) {
                eprintln!("keyhaven: {err}");
            }
        }
        Err(err) => eprintln!("keyhaven: {err}"),
    }
}

/// Quits: clears a secret we left on the clipboard, then exits.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    app.state::<AppState>().clear_clipboard_if_ours();
    app.exit(0);
}

fn lock_label(status: VaultStatus) -> &'static str {
    if status.unlocked {
        "Lock"
    } else {
        "Unlock…"
    }
}

/// Puts Keyhaven in the tray: Open, Quick search, Generate password, Sync now, Connect to
/// Keyhaven Account, Lock/Unlock, Quit.
pub fn install_tray<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let status = app.state::<AppState>().status();
    let open = MenuItem::with_id(app, "open", "Open Keyhaven", true, None::<&str>)?;
    let quick = MenuItem::with_id(app, "quick-search", "Quick search…", true, None::<&str>)?;
    let generate = MenuItem::with_id(
        app,
        "generate",
        "Generate password (copies it)",
        true,
        None::<&str>,
    )?;
    let lock = MenuItem::with_id(
        app,
        LOCK_ITEM,
        lock_label(status),
        status.exists,
        None::<&str>,
    )?;
    let sync = MenuItem::with_id(app, "sync", "Sync now", true, None::<&str>)?;
    let connect = MenuItem::with_id(
        app,
        "connect",
        "Connect to Keyhaven Account…",
        true,
        None::<&str>,
    )?;
    let quit_item = MenuItem::with_id(app, "quit", "Quit Keyhaven", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &quick,
            &generate,
            &PredefinedMenuItem::separator(app)?,
            &sync,
            &connect,
            &lock,
            &PredefinedMenuItem::separator(app)?,
            &quit_item,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Keyhaven")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "quick-search" => {
                if let Err(err) = show_quick_search(app) {
                    eprintln!("keyhaven: quick search: {err}");
                }
            }
            "generate" => generate_and_copy(app),
            "sync" => sync_now(app),
            "connect" => open_connect(app),
            LOCK_ITEM => {
                let state = app.state::<AppState>();
                if state.status().unlocked {
                    state.lock();
                } else {
                    show_main_window(app);
                }
            }
            "quit" => quit(app),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(TrayLockItem(lock));
    Ok(())
}

/// *Sync now* from the tray: syncs when signed in, else opens the app (where one signs in).
fn sync_now<R: Runtime>(app: &AppHandle<R>) {
    if app.state::<AccountState>().link().is_none() {
        show_main_window(app);
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let account = app.state::<AccountState>();
        account.start_syncing(&app.state::<AppState>());
        account.sync_now();
    });
}

/// *Connect to Keyhaven Account…* from the tray: the main window comes forward and, once the
/// vault is unlocked, shows the connect screen (the account settings when already signed in).
pub fn open_connect<R: Runtime>(app: &AppHandle<R>) {
    show_main_window(app);
    let _ = crate::events::OpenConnect.emit(app);
}

struct TrayLockItem<R: Runtime>(MenuItem<R>);

/// Keeps the tray's Lock/Unlock entry in step with the vault.
pub fn refresh_tray<R: Runtime>(app: &AppHandle<R>, status: VaultStatus) {
    if let Some(item) = app.try_state::<TrayLockItem<R>>() {
        let _ = item.0.set_text(lock_label(status));
        let _ = item.0.set_enabled(status.exists);
    }
    if !status.unlocked {
        if let Some(quick) = app.get_webview_window(QUICK_SEARCH_WINDOW) {
            let _ = quick.hide();
        }
    }
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
