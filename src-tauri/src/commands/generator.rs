//! Password strength for the UI's meters.

use keyhaven_vault::generator::{strength, Strength};

/// How guessable `password` is (zxcvbn), with feedback in words.
#[tauri::command]
#[specta::specta]
pub fn password_strength(password: String) -> Strength {
    let password = zeroize::Zeroizing::new(password);
    strength(&password, &[])
}
