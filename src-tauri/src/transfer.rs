//! What the app holds while a person imports or exports: the file they chose (its bytes, read
//! once and capped), what it was read into, and how files are chosen: the system's file
//! chooser, opened from Rust, so that the web view never names a path.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use keyhaven_import::{Imported, MAX_FILE_BYTES};
use zeroize::Zeroizing;

/// Which file chooser to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A file to import.
    Import,
    /// A KeePass key file.
    KeyFile,
    /// Where to save an export, with the name it suggests.
    Save { suggested_name: &'static str },
    /// An image holding a one-time code's QR code.
    QrImage,
}

/// Shows a file chooser and answers the chosen path, or `None` when the person cancelled.
pub type Picker = Box<dyn Fn(Pick) -> Option<PathBuf> + Send + Sync>;

/// A file chosen for import, read into memory.
pub struct ChosenFile {
    pub name: String,
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Hears an import's progress: (done, total).
pub type ProgressListener = Box<dyn Fn(usize, usize) + Send + Sync>;

/// The import or export in progress, and the file chooser.
#[derive(Default)]
pub struct TransferState {
    picker: OnceLock<Picker>,
    on_progress: OnceLock<ProgressListener>,
    file: Mutex<Option<ChosenFile>>,
    key_file: Mutex<Option<ChosenFile>>,
    read: Mutex<Option<Imported>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a chosen file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("no file chooser is available in this window")]
    NoPicker,
    #[error("choose a file first")]
    NoFile,
    #[error("read the file first")]
    NotRead,
    #[error("{name} cannot be read: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Import(#[from] keyhaven_import::ImportError),
}

impl TransferError {
    /// A stable code for `{ code, message }`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoPicker => "file_chooser_unavailable",
            Self::NoFile | Self::NotRead => "import_not_started",
            Self::Io { .. } => "file_unreadable",
            Self::Import(e) => e.code(),
        }
    }
}

impl TransferState {
    /// Sets how files are chosen (the desktop's dialog; tests answer with their own files).
    pub fn set_picker(&self, picker: Picker) {
        let _ = self.picker.set(picker);
    }

    /// Calls `listener` as an import goes (every window hears it as `ImportProgress`).
    pub fn on_progress(&self, listener: ProgressListener) {
        let _ = self.on_progress.set(listener);
    }

    /// Tells the listener how far an import is.
    pub fn progress(&self, done: usize, total: usize) {
        if let Some(listener) = self.on_progress.get() {
            listener(done, total);
        }
    }

    /// Shows the chooser; `None` when the person cancelled.
    pub fn pick(&self, pick: Pick) -> Result<Option<PathBuf>, TransferError> {
        let picker = self.picker.get().ok_or(TransferError::NoPicker)?;
        Ok(picker(pick))
    }

    /// Reads `path` as the file to import (or as the key file), forgetting an earlier one.
    pub fn choose(&self, path: &Path, pick: Pick) -> Result<String, TransferError> {
        let file = read_capped(path)?;
        let name = file.name.clone();
        match pick {
            Pick::KeyFile => *lock(&self.key_file) = Some(file),
            _ => {
                *lock(&self.file) = Some(file);
                *lock(&self.key_file) = None;
                *lock(&self.read) = None;
            }
        }
        Ok(name)
    }

    /// Runs `f` on the chosen file and key file.
    pub fn with_file<T>(
        &self,
        f: impl FnOnce(&ChosenFile, Option<&ChosenFile>) -> Result<T, TransferError>,
    ) -> Result<T, TransferError> {
        let file = lock(&self.file);
        let file = file.as_ref().ok_or(TransferError::NoFile)?;
        f(file, lock(&self.key_file).as_ref())
    }

    /// Keeps what the file was read into, for the import that follows the preview.
    pub fn set_read(&self, imported: Imported) {
        *lock(&self.read) = Some(imported);
    }

    /// Takes what the file was read into.
    pub fn take_read(&self) -> Result<Imported, TransferError> {
        lock(&self.read).take().ok_or(TransferError::NotRead)
    }

    /// Runs `f` on what the file was read into.
    pub fn with_read<T>(&self, f: impl FnOnce(&Imported) -> T) -> Result<T, TransferError> {
        lock(&self.read)
            .as_ref()
            .map(f)
            .ok_or(TransferError::NotRead)
    }

    /// Forgets the chosen files and what they held.
    pub fn clear(&self) {
        *lock(&self.file) = None;
        *lock(&self.key_file) = None;
        *lock(&self.read) = None;
    }
}

/// The file's bytes, refused beyond [`MAX_FILE_BYTES`] without reading more than that.
pub fn read_capped(path: &Path) -> Result<ChosenFile, TransferError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let io = |source| TransferError::Io {
        name: name.clone(),
        source,
    };
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(keyhaven_import::ImportError::TooLarge {
            file: name,
            limit_mib: MAX_FILE_BYTES / (1024 * 1024),
        }
        .into());
    }
    Ok(ChosenFile { name, bytes })
}
