//! The system's file chooser (GTK, through the dialog plugin), opened from Rust over the main
//! window: the web view has no dialog permission and never names a path.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::transfer::{Pick, Picker};

/// Window titles, by which a person (and the e2e suite) finds each chooser.
pub const IMPORT_TITLE: &str = "Import into Keyhaven";
pub const KEY_FILE_TITLE: &str = "Choose the KeePass key file";
pub const EXPORT_TITLE: &str = "Export from Keyhaven";
pub const QR_IMAGE_TITLE: &str = "Choose an image of the QR code";

/// A [`Picker`] that shows the chooser for `pick` and waits for the answer (commands run off
/// the main thread, so waiting is allowed).
pub fn file_picker<R: Runtime>(app: AppHandle<R>) -> Picker {
    Box::new(move |pick| {
        let mut dialog = app.dialog().file();
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        let chosen = match pick {
            Pick::Import => dialog.set_title(IMPORT_TITLE).blocking_pick_file(),
            Pick::KeyFile => dialog.set_title(KEY_FILE_TITLE).blocking_pick_file(),
            Pick::QrImage => dialog
                .set_title(QR_IMAGE_TITLE)
                .add_filter("Images", &["png", "jpg", "jpeg", "gif", "webp", "bmp"])
                .blocking_pick_file(),
            Pick::Save { suggested_name } => dialog
                .set_title(EXPORT_TITLE)
                .set_file_name(suggested_name)
                .blocking_save_file(),
        };
        chosen.and_then(|path| path.into_path().ok())
    })
}
