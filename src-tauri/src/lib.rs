//! The Keyhaven desktop app: a thin Tauri shell over `keyhaven-vault`.
//!
//! `commands/` holds one module per area, each command a few lines that call a library crate
//! and map its error to `{ code, message }` ([`error::CommandError`]). [`specta_builder`] is the
//! one list of commands: it feeds the invoke handler and the generated TypeScript bindings.

pub mod commands;
pub mod error;
pub mod state;

/// Where the generated TypeScript bindings live, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/lib/bindings.ts";

/// Every command the UI can call, with their types for the TypeScript bindings.
pub fn specta_builder<R: tauri::Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new().commands(tauri_specta::collect_commands![
        commands::app::app_info,
        commands::vault::vault_status,
        commands::vault::create_vault,
        commands::vault::unlock_vault,
        commands::vault::lock_vault,
        commands::vault::list_items,
        commands::items::get_item,
        commands::items::add_item,
        commands::items::update_item,
        commands::items::delete_item,
        commands::generator::generate_password,
        commands::generator::password_strength,
    ])
}

/// Writes the TypeScript bindings to `path` (`make bindings` writes the checked-in copy).
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    let typescript = specta_typescript::Typescript::default()
        .header("// @ts-nocheck\n// Generated from the Rust commands by tauri-specta. Do not edit: run `make bindings`.\n")
        .bigint(specta_typescript::BigIntExportBehavior::Number);
    specta_builder::<tauri::Wry>()
        .export(typescript, path)
        .map_err(|e| e.to_string())
}

/// Adds the app's state, commands and plugins to a builder (the real one, or `tauri::test::mock_builder`).
pub fn configure<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: state::AppState,
) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(specta_builder::<R>().invoke_handler())
}

/// Starts the desktop app on this OS user's vault (`KEYHAVEN_VAULT` / `KEYHAVEN_DATA_DIR` override it).
pub fn run() {
    let vault_path = match keyhaven_vault::paths::default_vault_path() {
        Ok(path) => path,
        Err(err) => {
            eprintln!("keyhaven: {err}");
            std::process::exit(1);
        }
    };
    let app = configure(tauri::Builder::default(), state::AppState::new(vault_path));
    if let Err(err) = app.run(tauri::generate_context!("tauri.conf.json")) {
        eprintln!("keyhaven: the app could not start: {err}");
        std::process::exit(1);
    }
}
