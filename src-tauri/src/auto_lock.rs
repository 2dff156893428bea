//! Locks the vault after the idle time the person chose.

use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Starts the thread that checks once a second whether the vault has been idle too long.
pub fn start<R: Runtime>(app: AppHandle<R>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("auto-lock".into())
        .spawn(move || loop {
            std::thread::sleep(CHECK_EVERY);
            app.state::<AppState>().lock_if_idle(Instant::now());
        })
        .map(drop)
}
