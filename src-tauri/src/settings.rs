//! The person's preferences for this app, kept in `settings.json` beside the vault (0600).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;

/// The longest auto-lock delay a person can choose: one day.
pub const MAX_AUTO_LOCK_SECONDS: u32 = 24 * 60 * 60;
/// The longest clipboard-clearing delay a person can choose: ten minutes.
pub const MAX_CLIPBOARD_CLEAR_SECONDS: u32 = 10 * 60;

/// Light, dark, or whatever the system uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// Everything the Settings screen edits. Missing fields in the file take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct Settings {
    /// Lock after this many seconds without use; 0 never locks on idle.
    pub auto_lock_seconds: u32,
    /// Lock when the computer sleeps or its screen locks.
    pub lock_on_sleep: bool,
    /// Clear a copied secret after this many seconds (only if it is still on the clipboard); 0 never.
    pub clipboard_clear_seconds: u32,
    /// Closing the main window hides it; the app stays in the tray.
    pub close_to_tray: bool,
    pub theme: Theme,
    /// Check the vault's passwords against Have I Been Pwned (only 5 characters of each
    /// password's SHA-1 leave the computer). Off until the person turns it on.
    pub leak_check: bool,
    /// The range API the leak check asks; empty: the public one.
    pub leak_check_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_lock_seconds: 15 * 60,
            lock_on_sleep: true,
            clipboard_clear_seconds: 30,
            close_to_tray: true,
            theme: Theme::System,
            leak_check: false,
            leak_check_url: String::new(),
        }
    }
}

/// Why settings could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    #[error("could not save settings to {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

impl SettingsError {
    /// The stable code the UI maps to words.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_settings",
            Self::Io { .. } => "settings_io",
        }
    }
}

impl Settings {
    /// Refuses values outside what the Settings screen offers.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.auto_lock_seconds > MAX_AUTO_LOCK_SECONDS {
            return Err(SettingsError::Invalid(format!(
                "auto-lock can be at most {} hours",
                MAX_AUTO_LOCK_SECONDS / 3600
            )));
        }
        if self.clipboard_clear_seconds > MAX_CLIPBOARD_CLEAR_SECONDS {
            return Err(SettingsError::Invalid(format!(
                "clipboard clearing can be at most {} minutes",
                MAX_CLIPBOARD_CLEAR_SECONDS / 60
            )));
        }
        if !self.leak_check_url.trim().is_empty() {
            keyhaven_client::health::LeakChecker::new(&self.leak_check_url)
                .map_err(|e| SettingsError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// Reads the file; a missing file gives the defaults, and so does a damaged one
    /// (reported, then moved aside as `settings.json.damaged` so the next save cannot lose it silently).
    pub fn load(path: &Path) -> Self {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Self::default(),
            Err(err) => {
                eprintln!(
                    "keyhaven: could not read {}: {err}; using default settings",
                    path.display()
                );
                return Self::default();
            }
        };
        match serde_json::from_str::<Settings>(&text)
            .map_err(|e| e.to_string())
            .and_then(|s| s.validate().map(|()| s).map_err(|e| e.to_string()))
        {
            Ok(settings) => settings,
            Err(err) => {
                let aside = path.with_extension("json.damaged");
                eprintln!(
                    "keyhaven: {} is damaged ({err}); using default settings, the file is kept as {}",
                    path.display(),
                    aside.display()
                );
                let _ = fs::rename(path, &aside);
                Self::default()
            }
        }
    }

    /// Validates and writes atomically (temporary file, fsync, rename), owner-only.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        self.validate()?;
        let io_error = |source| SettingsError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io_error)?;
        }
        let temporary = path.with_extension("json.tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(io_error)?;
        let json = serde_json::to_vec_pretty(self).map_err(|e| io_error(e.into()))?;
        file.write_all(&json).map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        fs::rename(&temporary, path).map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Settings::load(&dir.path().join("settings.json")),
            Settings::default()
        );
    }

    #[test]
    fn saved_settings_load_back_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        let settings = Settings {
            auto_lock_seconds: 60,
            lock_on_sleep: false,
            clipboard_clear_seconds: 0,
            close_to_tray: false,
            theme: Theme::Dark,
            leak_check: true,
            leak_check_url: "http://127.0.0.1:9/range/".into(),
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path), settings);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn a_damaged_file_gives_the_defaults_and_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        fs::write(&path, "{ not json").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        assert_eq!(
            fs::read_to_string(dir.path().join("settings.json.damaged")).unwrap(),
            "{ not json"
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_tolerated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        fs::write(&path, r#"{"theme":"light","from_a_newer_app":1}"#).unwrap();
        let settings = Settings::load(&path);
        assert_eq!(settings.theme, Theme::Light);
        assert_eq!(
            settings.auto_lock_seconds,
            Settings::default().auto_lock_seconds
        );
    }

    #[test]
    fn values_beyond_the_limits_are_refused() {
        let too_long = Settings {
            auto_lock_seconds: MAX_AUTO_LOCK_SECONDS + 1,
            ..Settings::default()
        };
        assert_eq!(too_long.validate().unwrap_err().code(), "invalid_settings");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        assert!(too_long.save(&path).is_err());
        assert!(!path.exists());
        let elsewhere = Settings {
            leak_check_url: "http://example.com/range/".into(),
            ..Settings::default()
        };
        assert_eq!(elsewhere.validate().unwrap_err().code(), "invalid_settings");
    }
}
