//! The tray icon and its menu, kept in step with the vault.

use keyhaven_vault::generator::{generate, GeneratorOptions};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event as _;

use super::{quit, show_main_window, show_quick_search, QUICK_SEARCH_WINDOW};
use crate::account_state::AccountState;
use crate::state::{AppState, VaultStatus};

const TRAY_ID: &str = "keyhaven";
const LOCK_ITEM: &str = "lock";

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
