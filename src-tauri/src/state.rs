//! What the app holds between commands: where this OS user's vault lives and, while unlocked,
//! the vault; the settings; the clipboard; and when the person last used the app.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use keyhaven_client::sync::VaultAccess;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::generator::check_master_password;
use keyhaven_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::clipboard::{ClipboardBackend, SecretClipboard, SystemClipboard};
use crate::settings::{Settings, SettingsError};

/// Whether a local vault exists and whether it is unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct VaultStatus {
    pub exists: bool,
    pub unlocked: bool,
}

type StatusListener = Box<dyn Fn(VaultStatus) + Send + Sync>;
type ReadyListener = Box<dyn FnOnce() + Send>;
type ChangeListener = Box<dyn Fn() + Send + Sync>;

/// The open vault, shared with the sync worker (which borrows it briefly, never across the network).
#[derive(Clone, Default)]
pub struct SharedVault(Arc<Mutex<Option<Vault>>>);

impl VaultAccess for SharedVault {
    fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> keyhaven_vault::Result<T>,
    ) -> keyhaven_vault::Result<T> {
        let mut vault = lock(&self.0);
        match vault.as_mut() {
            Some(vault) if vault.is_unlocked() => f(vault),
            _ => Err(VaultError::Locked),
        }
    }
}

/// The app's state, shared by every window, the tray and the auto-lock timer.
pub struct AppState {
    vault_path: PathBuf,
    settings_path: PathBuf,
    vault: SharedVault,
    settings: Mutex<Settings>,
    clipboard: Arc<SecretClipboard>,
    last_activity: Mutex<Instant>,
    on_status_change: OnceLock<StatusListener>,
    on_ui_ready: Mutex<Option<ReadyListener>>,
    on_local_change: OnceLock<ChangeListener>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    /// The state for the vault at `vault_path`, with `settings.json` beside it and the system clipboard.
    pub fn new(vault_path: PathBuf) -> Self {
        Self::with_clipboard(vault_path, Box::new(SystemClipboard::default()))
    }

    /// Like [`AppState::new`] with another clipboard (tests run without a display).
    pub fn with_clipboard(vault_path: PathBuf, clipboard: Box<dyn ClipboardBackend>) -> Self {
        let settings_path = keyhaven_client::account::DataDir::for_vault(&vault_path).settings();
        Self {
            settings: Mutex::new(Settings::load(&settings_path)),
            vault_path,
            settings_path,
            vault: SharedVault::default(),
            clipboard: SecretClipboard::new(clipboard),
            last_activity: Mutex::new(Instant::now()),
            on_status_change: OnceLock::new(),
            on_ui_ready: Mutex::new(None),
            on_local_change: OnceLock::new(),
        }
    }

    /// Calls `listener` whenever the vault is created, unlocked or locked, whoever did it.
    pub fn on_status_change(&self, listener: impl Fn(VaultStatus) + Send + Sync + 'static) {
        let _ = self.on_status_change.set(Box::new(listener));
    }

    /// Calls `listener` after every change the person makes to the vault's items (sync pushes them).
    pub fn on_local_change(&self, listener: impl Fn() + Send + Sync + 'static) {
        let _ = self.on_local_change.set(Box::new(listener));
    }

    /// The open vault as the sync worker reaches it.
    pub fn shared_vault(&self) -> SharedVault {
        self.vault.clone()
    }

    /// Runs `work` once the main window has painted its first screen (work that can wait, such
    /// as the tray, then does not delay start-up).
    pub fn after_first_paint(&self, work: impl FnOnce() + Send + 'static) {
        *lock(&self.on_ui_ready) = Some(Box::new(work));
    }

    /// The main window painted its first screen: runs what was waiting for it, once.
    pub fn first_paint_done(&self) {
        let work = lock(&self.on_ui_ready).take();
        if let Some(work) = work {
            work();
        }
    }

    fn notify(&self) {
        if let Some(listener) = self.on_status_change.get() {
            listener(self.status());
        }
    }

    pub fn vault_path(&self) -> &Path {
        &self.vault_path
    }

    pub fn status(&self) -> VaultStatus {
        let vault = lock(&self.vault.0);
        let on_disk = std::fs::metadata(&self.vault_path).is_ok_and(|m| m.len() > 0);
        VaultStatus {
            exists: vault.is_some() || on_disk,
            unlocked: vault.as_ref().is_some_and(Vault::is_unlocked),
        }
    }

    /// Creates the vault with a master password strong enough to protect it, and keeps it unlocked.
    pub fn create(&self, master_password: &str) -> Result<(), VaultError> {
        check_master_password(master_password, &[])?;
        let vault = Vault::create(
            &self.vault_path,
            master_password.as_bytes(),
            KdfParams::default(),
        )?;
        *lock(&self.vault.0) = Some(vault);
        self.touch();
        self.notify();
        Ok(())
    }

    /// Opens and unlocks the vault; a wrong password leaves everything as it was.
    pub fn unlock(&self, master_password: &str) -> Result<(), VaultError> {
        let mut vault = Vault::open(&self.vault_path)?;
        vault.unlock(master_password.as_bytes())?;
        *lock(&self.vault.0) = Some(vault);
        self.touch();
        self.notify();
        Ok(())
    }

    /// Changes the master password of the unlocked vault: `current` must be right and `new`
    /// strong enough; the KDF parameters never get weaker. A connected vault marks the new key
    /// material for the next sync.
    pub fn change_master_password(&self, current: &str, new: &str) -> Result<(), VaultError> {
        check_master_password(new, &[])?;
        self.with_unlocked(|vault| {
            let kdf = KdfParams::for_new_master_password(vault.kdf_params());
            vault.change_master_password(current.as_bytes(), new.as_bytes(), kdf)
        })
    }

    /// Drops the vault (its key and decrypted index are zeroed) and clears a secret we left on the clipboard.
    pub fn lock(&self) {
        let was_unlocked = lock(&self.vault.0).take().is_some();
        self.clipboard.clear_if_still_ours(None);
        if was_unlocked {
            self.notify();
        }
    }

    /// Makes `vault` (unlocked, e.g. just connected to the account) the app's vault.
    pub fn install(&self, vault: Vault) {
        *lock(&self.vault.0) = Some(vault);
        self.touch();
        self.notify();
    }

    /// Like [`AppState::with_unlocked`] for a change of the vault's items: sync hears of it.
    pub fn change<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let result = self.with_unlocked(f)?;
        if let Some(listener) = self.on_local_change.get() {
            listener();
        }
        Ok(result)
    }

    /// Runs `f` on the unlocked vault, or fails with `vault_locked`. Counts as activity.
    pub fn with_unlocked<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let mut vault = lock(&self.vault.0);
        let vault = vault.as_mut().ok_or(VaultError::Locked)?;
        self.touch();
        f(vault)
    }

    /// Records that the person used the app now (postpones auto-lock).
    pub fn touch(&self) {
        *lock(&self.last_activity) = Instant::now();
    }

    /// Locks if the vault is unlocked and idle for longer than the auto-lock setting; returns whether it did.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        let seconds = lock(&self.settings).auto_lock_seconds;
        let unlocked = lock(&self.vault.0).as_ref().is_some_and(Vault::is_unlocked);
        if seconds == 0 || !unlocked {
            return false;
        }
        let idle = now.saturating_duration_since(*lock(&self.last_activity));
        if idle < Duration::from_secs(u64::from(seconds)) {
            return false;
        }
        self.lock();
        true
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Saves new settings; they take effect at once.
    pub fn update_settings(&self, settings: Settings) -> Result<Settings, SettingsError> {
        settings.save(&self.settings_path)?;
        *lock(&self.settings) = settings.clone();
        Ok(settings)
    }

    /// Copies `text`, to be cleared after the clipboard setting; returns that delay in seconds (0: never).
    pub fn copy_secret(&self, text: &str) -> Result<u32, crate::clipboard::ClipboardError> {
        let seconds = lock(&self.settings).clipboard_clear_seconds;
        let clear_after = (seconds > 0).then(|| Duration::from_secs(u64::from(seconds)));
        self.clipboard.copy(text, clear_after)?;
        self.touch();
        Ok(seconds)
    }

    /// Clears a secret we put on the clipboard if it is still there (on quit).
    pub fn clear_clipboard_if_ours(&self) {
        self.clipboard.clear_if_still_ours(None);
    }
}
