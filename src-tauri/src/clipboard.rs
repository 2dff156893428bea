//! Copying secrets: written from Rust (never via the web view), kept out of clipboard
//! managers' history, and cleared after a delay only if the clipboard still holds them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Why the clipboard could not be used.
#[derive(Debug, thiserror::Error)]
#[error("the clipboard is not available: {0}")]
pub struct ClipboardError(pub String);

/// The system clipboard, or a stand-in in tests that run without a display.
pub trait ClipboardBackend: Send {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError>;
    /// The clipboard's text, `None` when it holds no text.
    fn text(&mut self) -> Option<Zeroizing<String>>;
    fn clear(&mut self) -> Result<(), ClipboardError>;
}

/// The OS clipboard through `arboard`, connected on first use (X11 or Wayland on Linux).
#[derive(Default)]
pub struct SystemClipboard {
    inner: Option<arboard::Clipboard>,
}

impl SystemClipboard {
    fn inner(&mut self) -> Result<&mut arboard::Clipboard, ClipboardError> {
        if self.inner.is_none() {
            self.inner =
                Some(arboard::Clipboard::new().map_err(|e| ClipboardError(e.to_string()))?);
        }
        self.inner
            .as_mut()
            .ok_or_else(|| ClipboardError("no clipboard".into()))
    }
}

impl ClipboardBackend for SystemClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        let set = self.inner()?.set();
        #[cfg(target_os = "linux")]
        let set = arboard::SetExtLinux::exclude_from_history(set);
        set.text(text).map_err(|e| ClipboardError(e.to_string()))
    }

    fn text(&mut self) -> Option<Zeroizing<String>> {
        self.inner().ok()?.get_text().ok().map(Zeroizing::new)
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        self.inner()?
            .clear()
            .map_err(|e| ClipboardError(e.to_string()))
    }
}

/// An in-memory clipboard for tests without a display.
#[derive(Default)]
pub struct MemoryClipboard(pub Arc<Mutex<Option<String>>>);

impl ClipboardBackend for MemoryClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(text.to_string());
        Ok(())
    }

    fn text(&mut self) -> Option<Zeroizing<String>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map(Zeroizing::new)
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(())
    }
}

/// A salted hash of what we copied, so we can recognise it later without keeping the secret.
struct Fingerprint {
    salt: [u8; 16],
    digest: [u8; 32],
}

impl Fingerprint {
    fn of(text: &str) -> Self {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        Self {
            salt,
            digest: Self::digest(&salt, text),
        }
    }

    fn digest(salt: &[u8; 16], text: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(salt)
            .chain_update(text.as_bytes())
            .finalize()
            .into()
    }

    fn matches(&self, text: &str) -> bool {
        Self::digest(&self.salt, text) == self.digest
    }
}

struct Copied {
    generation: u64,
    fingerprint: Fingerprint,
}

/// The clipboard as Keyhaven uses it: copy with a clearing timer, clear what we own.
pub struct SecretClipboard {
    backend: Mutex<Box<dyn ClipboardBackend>>,
    last: Mutex<Option<Copied>>,
    generation: AtomicU64,
}

impl SecretClipboard {
    pub fn new(backend: Box<dyn ClipboardBackend>) -> Arc<Self> {
        Arc::new(Self {
            backend: Mutex::new(backend),
            last: Mutex::new(None),
            generation: AtomicU64::new(0),
        })
    }

    /// Puts `text` on the clipboard; after `clear_after` (if any) it is cleared unless
    /// something else has been copied since, by Keyhaven or anyone.
    pub fn copy(
        self: &Arc<Self>,
        text: &str,
        clear_after: Option<Duration>,
    ) -> Result<(), ClipboardError> {
        self.backend
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_secret(text)?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(Copied {
            generation,
            fingerprint: Fingerprint::of(text),
        });
        if let Some(delay) = clear_after {
            let clipboard = Arc::clone(self);
            std::thread::Builder::new()
                .name("clipboard-clear".into())
                .spawn(move || {
                    std::thread::sleep(delay);
                    clipboard.clear_if_still_ours(Some(generation));
                })
                .map_err(|e| ClipboardError(e.to_string()))?;
        }
        Ok(())
    }

    /// Clears the clipboard if it still holds what we last copied (of `generation`, when given).
    /// Returns whether it cleared.
    pub fn clear_if_still_ours(&self, generation: Option<u64>) -> bool {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(copied) = last.as_ref() else {
            return false;
        };
        if generation.is_some_and(|g| g != copied.generation) {
            return false;
        }
        let mut backend = self.backend.lock().unwrap_or_else(PoisonError::into_inner);
        let still_ours = backend
            .text()
            .is_some_and(|current| copied.fingerprint.matches(&current));
        *last = None;
        still_ours && backend.clear().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clipboard() -> (Arc<Mutex<Option<String>>>, Arc<SecretClipboard>) {
        let memory = MemoryClipboard::default();
        let contents = Arc::clone(&memory.0);
        (contents, SecretClipboard::new(Box::new(memory)))
    }

    fn wait_for(mut done: impl FnMut() -> bool) -> bool {
        for _ in 0..200 {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    #[test]
    fn a_copied_secret_is_cleared_after_the_delay() {
        let (contents, clipboard) = clipboard();
        clipboard
            .copy("hunter2", Some(Duration::from_millis(50)))
            .unwrap();
        assert_eq!(contents.lock().unwrap().as_deref(), Some("hunter2"));
        assert!(wait_for(|| contents.lock().unwrap().is_none()));
    }

    #[test]
    fn something_copied_by_someone_else_is_left_alone() {
        let (contents, clipboard) = clipboard();
        clipboard
            .copy("hunter2", Some(Duration::from_millis(50)))
            .unwrap();
        *contents.lock().unwrap() = Some("the person's own text".into());
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            contents.lock().unwrap().as_deref(),
            Some("the person's own text")
        );
    }

    #[test]
    fn an_earlier_timer_does_not_clear_a_later_copy() {
        let (contents, clipboard) = clipboard();
        clipboard
            .copy("first", Some(Duration::from_millis(50)))
            .unwrap();
        clipboard
            .copy("second", Some(Duration::from_secs(60)))
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(contents.lock().unwrap().as_deref(), Some("second"));
        assert!(clipboard.clear_if_still_ours(None));
        assert_eq!(*contents.lock().unwrap(), None);
    }

    #[test]
    fn without_a_delay_the_secret_stays_until_cleared_explicitly() {
        let (contents, clipboard) = clipboard();
        clipboard.copy("hunter2", None).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(contents.lock().unwrap().as_deref(), Some("hunter2"));
        assert!(
            !SecretClipboard::new(Box::new(MemoryClipboard::default())).clear_if_still_ours(None)
        );
    }
}
