//! The Keyhaven desktop app: a thin Tauri shell over `keyhaven-vault`.
//!
//! `commands/` holds one module per area, each command a few lines that call a library crate
//! and map its error to `{ code, message }` ([`error::CommandError`]). [`specta_builder`] is the
//! one list of commands: it feeds the invoke handler and the generated TypeScript bindings.

pub mod account_state;
mod auto_lock;
pub mod clipboard;
pub mod commands;
pub mod error;
pub mod events;
mod links;
pub mod reminders;
pub mod settings;
pub mod shell;
#[cfg(target_os = "linux")]
mod sleep_lock;
pub mod state;
pub mod transfer;

use tauri::Manager;
use tauri_specta::Event;

/// Where the generated TypeScript bindings live, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/lib/bindings.ts";

/// Rules the UI shows but Rust decides, exported as one constant (tauri-specta writes several in
/// no fixed order).
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct Rules {
    /// The lowest zxcvbn score a new master password may have.
    pub min_master_password_score: u8,
    /// What stands in for a secret in a masked item.
    pub mask: &'static str,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            min_master_password_score: keyhaven_vault::generator::MIN_MASTER_PASSWORD_SCORE,
            mask: keyhaven_vault::masked::MASK,
        }
    }
}

/// Every command the UI can call, with their types for the TypeScript bindings.
pub fn specta_builder<R: tauri::Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new()
        .commands(tauri_specta::collect_commands![
            commands::app::app_info,
            commands::app::note_activity,
            commands::app::ui_ready,
            commands::vault::vault_status,
            commands::vault::create_vault,
            commands::vault::unlock_vault,
            commands::vault::lock_vault,
            commands::vault::change_master_password,
            commands::vault::vault_integrity,
            commands::vault::list_items,
            commands::vault::list_folders,
            commands::reveal::get_item,
            commands::reveal::get_item_for_edit,
            commands::reveal::reveal_item_field,
            commands::items::add_item,
            commands::items::update_item,
            commands::items::delete_item,
            commands::items::mark_item_reviewed,
            commands::items::open_item_url,
            commands::clipboard::copy_item_field,
            commands::clipboard::copy_text,
            commands::codes::totp_code,
            commands::codes::copy_totp_code,
            commands::codes::read_totp_qr_image,
            commands::health::health_report,
            commands::health::check_leaked_passwords_now,
            commands::generator::generate_password,
            commands::generator::password_strength,
            commands::settings::get_settings,
            commands::settings::update_settings,
            commands::account::account_status,
            commands::account::get_statement,
            commands::account::sign_up,
            commands::account::sign_in,
            commands::account::verify_code,
            commands::account::resend_code,
            commands::account::cancel_sign_in,
            commands::account::sign_in_providers,
            commands::account::suite_offer,
            commands::account::continue_with_suite,
            commands::reminders::connect_reminder_due,
            commands::reminders::answer_connect_reminder,
            commands::account::start_browser_sign_in,
            commands::account::finish_browser_sign_in,
            commands::account::continue_browser_sign_in,
            commands::account::cancel_browser_sign_in,
            commands::account::connect_vault,
            commands::account::sync_now,
            commands::account::list_devices,
            commands::account::revoke_device,
            commands::account::sign_in_methods,
            commands::account::finish_adding_sign_in_method,
            commands::account::remove_sign_in_method,
            commands::account::add_account_password,
            commands::account::confirm_account_password,
            commands::account::sign_out,
            commands::account::account_details,
            commands::account::change_phone,
            commands::account::confirm_phone_change,
            commands::account::change_account_password,
            commands::account::set_two_step,
            commands::account::delete_account,
            commands::transfer::import_formats,
            commands::transfer::choose_import_file,
            commands::transfer::choose_key_file,
            commands::transfer::preview_import,
            commands::transfer::run_import,
            commands::transfer::cancel_import,
            commands::transfer::export_vault,
        ])
        .events(tauri_specta::collect_events![
            events::VaultStatusChanged,
            events::AccountChanged,
            events::VaultItemsChanged,
            events::OpenConnect,
            events::ImportProgress
        ])
        .typ::<shell::Boot>()
        .constant("RULES", Rules::default())
}

/// Writes the TypeScript bindings to `path` (`make bindings` writes the checked-in copy).
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    let typescript = specta_typescript::Typescript::default()
        .header("// @ts-nocheck\n// Generated from the Rust commands by tauri-specta. Do not edit: run `make bindings`.\n")
        .bigint(specta_typescript::BigIntExportBehavior::Number);
    specta_builder::<tauri::Wry>()
        .export(typescript, path)
        .map_err(|e| e.to_string())?;
    // tauri-specta writes `import { type WebviewWindow … }`, which bundlers keep as a
    // side-effect import of the whole window API; `import type` is erased entirely.
    let generated = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let generated = generated.replace(
        "import { type WebviewWindow as __WebviewWindow__ }",
        "import type { WebviewWindow as __WebviewWindow__ }",
    );
    std::fs::write(path, generated).map_err(|e| e.to_string())
}

/// Which parts of the desktop shell to start besides the windows' commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// The main window, tray, close-to-tray, lock on sleep: the real app.
    Desktop,
    /// Commands, events and auto-lock only (`tauri::test` has no display or tray).
    Headless,
}

/// Adds the app's state, commands, events and timers to a builder (the real one, or `tauri::test::mock_builder`).
pub fn configure<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: state::AppState,
    shell: Shell,
) -> tauri::Builder<R> {
    let files = keyhaven_client::account::DataDir::for_vault(state.vault_path());
    let account = account_state::AccountState::new(files);
    let reminders = reminders::Reminders::new(state.vault_path(), reminders::system_clock());
    builder
        .manage(state)
        .manage(account)
        .manage(reminders)
        .manage(transfer::TransferState::default())
        .invoke_handler(specta_builder::<R>().invoke_handler())
        .on_window_event(move |window, event| {
            if shell == Shell::Desktop {
                shell::on_window_event(window, event);
            }
        })
        .setup(move |app| Ok(start(app, shell)?))
}

/// What runs once the app is built (Tauri's setup): typed events, the status listener that
/// tells every window and the tray, the auto-lock timer, and with [`Shell::Desktop`] the main
/// window and, once its first screen is painted, the tray and lock-on-sleep.
/// `tauri::test` apps never reach setup, so tests call this themselves.
pub fn start<R: tauri::Runtime>(app: &tauri::App<R>, shell: Shell) -> tauri::Result<()> {
    if shell == Shell::Desktop {
        shell::create_main_window(app.handle())?;
    }
    specta_builder::<R>().mount_events(app);
    let handle = app.handle().clone();
    app.state::<state::AppState>()
        .on_status_change(move |status| {
            if !status.unlocked {
                // A chosen file and what it held do not outlive the unlocked vault.
                handle.state::<transfer::TransferState>().clear();
            }
            let _ = events::VaultStatusChanged(status).emit(&handle);
            if shell == Shell::Desktop {
                shell::refresh_tray(&handle, status);
            }
        });
    let handle = app.handle().clone();
    app.state::<transfer::TransferState>()
        .on_progress(Box::new(move |done, total| {
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            let _ = events::ImportProgress {
                done: count(done),
                total: count(total),
            }
            .emit(&handle);
        }));
    if shell == Shell::Desktop {
        app.state::<transfer::TransferState>()
            .set_picker(shell::file_picker(app.handle().clone()));
    }
    let handle = app.handle().clone();
    app.state::<state::AppState>().on_local_change(move || {
        handle.state::<account_state::AccountState>().local_change();
    });
    let handle = app.handle().clone();
    app.state::<account_state::AccountState>()
        .on_change(move |items_changed| {
            let view =
                commands::account::account_view(&handle.state::<account_state::AccountState>());
            let _ = events::AccountChanged(view).emit(&handle);
            if items_changed {
                let _ = events::VaultItemsChanged.emit(&handle);
            }
        });
    auto_lock::start(app.handle().clone())?;
    if shell == Shell::Desktop {
        let handle = app.handle().clone();
        app.state::<state::AppState>().after_first_paint(move || {
            #[cfg(target_os = "linux")]
            sleep_lock::start(&handle);
            let on_main = handle.clone();
            let _ = handle.run_on_main_thread(move || {
                if let Err(err) = shell::install_tray(&on_main) {
                    eprintln!("keyhaven: no tray icon: {err}");
                }
            });
        });
        if std::env::args().any(|arg| arg == shell::QUICK_SEARCH_ARG) {
            shell::show_quick_search(app.handle())?;
        }
    }
    Ok(())
}

/// Starts the desktop app on this OS user's vault (`KEYHAVEN_VAULT` / `KEYHAVEN_DATA_DIR` override it).
/// A second launch only brings the running app's window forward (`--quick-search`: the
/// quick-search window, for a desktop keyboard shortcut).
pub fn run() {
    #[cfg(target_os = "linux")]
    prefer_software_compositing();
    let vault_path = match keyhaven_vault::paths::default_vault_path() {
        Ok(path) => path,
        Err(err) => {
            eprintln!("keyhaven: {err}");
            std::process::exit(1);
        }
    };
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            shell::on_second_launch(app, &argv)
        }))
        .plugin(tauri_plugin_dialog::init());
    let app = configure(builder, state::AppState::new(vault_path), Shell::Desktop)
        .build(tauri::generate_context!("tauri.conf.json"));
    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                app.state::<state::AppState>().clear_clipboard_if_ours();
            }
        }),
        Err(err) => {
            eprintln!("keyhaven: the app could not start: {err}");
            std::process::exit(1);
        }
    }
}

/// Turns WebKitGTK's GPU compositing off unless the user chose (`WEBKIT_DISABLE_COMPOSITING_MODE=0`
/// keeps it). The UI needs no GPU layers, and where GL is software (no GPU, VMs, remote
/// desktops) compositing cost ~230 ms of every start and ~60 MiB (`make budgets`); some
/// drivers also show blank windows with it. Runs first in `main`, before any other thread.
#[cfg(target_os = "linux")]
fn prefer_software_compositing() {
    const VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VARIABLE).is_none() {
        std::env::set_var(VARIABLE, "1");
    }
}
