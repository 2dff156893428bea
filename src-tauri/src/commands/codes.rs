//! One-time codes of a login: computed in Rust from the secret, which never reaches the web
//! view; copied like a password; and a secret read from an image of its QR code.

use keyhaven_vault::totp::{secret_from_qr_image, TotpCode};
use tauri::State;
use uuid::Uuid;

use super::clipboard::Copied;
use crate::error::CommandError;
use crate::state::AppState;
use crate::transfer::{read_capped, Pick, TransferState};

/// The login's current code and the seconds it has left.
#[tauri::command]
#[specta::specta]
pub fn totp_code(state: State<'_, AppState>, id: Uuid) -> Result<TotpCode, CommandError> {
    Ok(state.with_unlocked(|vault| vault.totp_code(id))?)
}

/// Copies the login's current code; the clipboard is cleared as after copying a password.
#[tauri::command]
#[specta::specta]
pub fn copy_totp_code(state: State<'_, AppState>, id: Uuid) -> Result<Copied, CommandError> {
    let code = state.with_unlocked(|vault| vault.totp_code(id))?;
    Ok(Copied {
        clears_after_seconds: state.copy_secret(&code.code)?,
    })
}

/// Opens the file chooser for an image of a QR code and answers the secret it holds (for the
/// editor's field), or `None` when the person cancelled.
#[tauri::command]
#[specta::specta]
pub async fn read_totp_qr_image(
    transfer: State<'_, TransferState>,
) -> Result<Option<String>, CommandError> {
    let Some(path) = transfer.pick(Pick::QrImage)? else {
        return Ok(None);
    };
    let file = read_capped(&path)?;
    let secret = secret_from_qr_image(&file.bytes)
        .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    Ok(Some(secret.to_string()))
}
