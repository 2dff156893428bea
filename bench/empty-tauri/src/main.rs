//! An empty Tauri 2 app: one window, one static page, one command that reports the first paint.

/// Prints `ui-ready` once, like Keyhaven's `ui_ready` under `KEYHAVEN_STARTUP_PROBE`.
#[tauri::command]
fn ui_ready() {
    use std::io::Write;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "ui-ready");
    let _ = stdout.flush();
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!())
        .expect("the empty app runs");
}
