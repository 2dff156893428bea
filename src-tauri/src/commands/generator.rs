//! Generated passwords and strength for the UI's meters.

use keyhaven_vault::generator::{generate, strength, GeneratorOptions, Strength};

use crate::error::CommandError;

/// A new random password (OS CSPRNG) with the chosen length and classes, or the defaults.
#[tauri::command]
#[specta::specta]
pub fn generate_password(options: Option<GeneratorOptions>) -> Result<String, CommandError> {
    Ok(generate(&options.unwrap_or_default())?.to_string())
}

/// How guessable `password` is (zxcvbn), with feedback in words.
#[tauri::command]
#[specta::specta]
pub fn password_strength(password: String) -> Strength {
    let password = zeroize::Zeroizing::new(password);
    strength(&password, &[])
}
