//! Generated passwords and strength for the UI's meters.

use keyhaven_vault::generator::{generate, strength, GeneratorOptions, Strength};
use serde::Serialize;
use specta::Type;

use crate::error::CommandError;

/// A generated password and the options it was made with (the defaults when none were given).
#[derive(Debug, Clone, Serialize, Type)]
pub struct Generated {
    pub password: String,
    pub options: GeneratorOptions,
}

/// A new random password (OS CSPRNG) with the chosen length and classes, or the defaults.
#[tauri::command]
#[specta::specta]
pub fn generate_password(options: Option<GeneratorOptions>) -> Result<Generated, CommandError> {
    let options = options.unwrap_or_default();
    Ok(Generated {
        password: generate(&options)?.to_string(),
        options,
    })
}

/// How guessable `password` is (zxcvbn), with feedback in words.
#[tauri::command]
#[specta::specta]
pub fn password_strength(password: String) -> Strength {
    let password = zeroize::Zeroizing::new(password);
    strength(&password, &[])
}
