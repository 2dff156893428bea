//! Import and export: the file is chosen in the system's file chooser (opened from Rust), read
//! and previewed before anything is written, then imported in one transaction with progress
//! events. Reading and writing the formats is `keyhaven-import`'s; this only presents it.

use keyhaven_import::csv_files::{self, ColumnMap, CsvSample};
use keyhaven_import::export::{write_private_file, ExportFormat};
use keyhaven_import::preview::{preview, Preview};
use keyhaven_import::{Format, Unlock};
use serde::Serialize;
use specta::Type;
use tauri::State;
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::state::AppState;
use crate::transfer::{Pick, TransferError, TransferState};

impl From<TransferError> for CommandError {
    fn from(err: TransferError) -> Self {
        Self::new(err.code(), err.to_string())
    }
}

impl From<keyhaven_import::export::ExportError> for CommandError {
    fn from(err: keyhaven_import::export::ExportError) -> Self {
        Self::new(err.code(), err.to_string())
    }
}

/// A format the app imports, with what opening it takes.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ImportFormatInfo {
    pub format: Format,
    pub needs_password: bool,
    pub takes_key_file: bool,
}

/// The file the person chose, and the format it looks like.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ChosenImport {
    pub file_name: String,
    pub detected: Option<Format>,
}

/// What an import would do, before anything is written.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ImportPreview {
    pub file_name: String,
    /// How many items the file holds (likely duplicates included).
    pub total: u32,
    pub preview: Preview,
    /// For a generic CSV: its columns and first rows, and the mapping used.
    pub csv: Option<CsvColumns>,
}

/// A generic CSV's columns, for the person to map.
#[derive(Debug, Clone, Serialize, Type)]
pub struct CsvColumns {
    pub sample: CsvSample,
    pub mapping: ColumnMap,
}

/// The formats the app imports, in the order the chooser lists them.
#[tauri::command]
#[specta::specta]
pub fn import_formats() -> Vec<ImportFormatInfo> {
    [
        Format::BitwardenJson,
        Format::BitwardenCsv,
        Format::OnePassword1pux,
        Format::Kdbx,
        Format::KeepassXml,
        Format::KeepassXcCsv,
        Format::ChromeCsv,
        Format::FirefoxCsv,
        Format::SafariCsv,
        Format::GenericCsv,
        Format::KeyhavenEncrypted,
    ]
    .into_iter()
    .map(|format| ImportFormatInfo {
        format,
        needs_password: format.needs_password(),
        takes_key_file: format.takes_key_file(),
    })
    .collect()
}

/// Opens the file chooser for a file to import and reads it; `None` when the person cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_import_file(
    transfer: State<'_, TransferState>,
) -> Result<Option<ChosenImport>, CommandError> {
    let Some(path) = transfer.pick(Pick::Import)? else {
        return Ok(None);
    };
    let file_name = transfer.choose(&path, Pick::Import)?;
    let detected = transfer.with_file(|file, _| Ok(Format::detect(&file.bytes)))?;
    Ok(Some(ChosenImport {
        file_name,
        detected,
    }))
}

/// Opens the file chooser for a KeePass key file; its name, or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_key_file(
    transfer: State<'_, TransferState>,
) -> Result<Option<String>, CommandError> {
    let Some(path) = transfer.pick(Pick::KeyFile)? else {
        return Ok(None);
    };
    Ok(Some(transfer.choose(&path, Pick::KeyFile)?))
}

/// Reads the chosen file as `format` (with its password, and for a generic CSV the columns the
/// person mapped) and says what importing it would do. Nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn preview_import(
    state: State<'_, AppState>,
    transfer: State<'_, TransferState>,
    format: Format,
    password: Option<String>,
    columns: Option<ColumnMap>,
) -> Result<ImportPreview, CommandError> {
    let password = password.map(Zeroizing::new);
    let (imported, csv, file_name) = transfer.with_file(|file, key_file| {
        let unlock = Unlock {
            password: password.clone(),
            key_file: key_file.map(|k| k.bytes.clone()),
        };
        if format == Format::GenericCsv {
            let sample = csv_files::sample(&file.name, &file.bytes, 3)?;
            let mapping = columns.clone().unwrap_or_else(|| sample.suggested.clone());
            let imported = csv_files::read_mapped(&file.name, &file.bytes, &mapping)?;
            return Ok((
                imported,
                Some(CsvColumns { sample, mapping }),
                file.name.clone(),
            ));
        }
        Ok((
            format.open(&file.name, &file.bytes, &unlock)?,
            None,
            file.name.clone(),
        ))
    })?;
    let existing = state.with_unlocked(|vault| vault.items())?;
    let summary = preview(&imported, &existing);
    let total = u32::try_from(imported.items.len()).unwrap_or(u32::MAX);
    transfer.set_read(imported);
    Ok(ImportPreview {
        file_name,
        total,
        preview: summary,
        csv,
    })
}

/// Imports what the preview showed, in one transaction (all or nothing), leaving out the likely
/// duplicates when `skip_duplicates`; `ImportProgress` events tell the progress. Returns how many
/// items were added. A connected vault then syncs them.
#[tauri::command]
#[specta::specta]
pub async fn run_import(
    state: State<'_, AppState>,
    transfer: State<'_, TransferState>,
    skip_duplicates: bool,
) -> Result<u32, CommandError> {
    let imported = transfer.take_read()?;
    let added = state.change(|vault| {
        let summary = preview(&imported, &vault.items()?);
        let items = summary.items_to_add(&imported, skip_duplicates);
        vault.import_all_with_progress(&items, &mut |done, total| transfer.progress(done, total))
    });
    transfer.clear();
    Ok(u32::try_from(added?).unwrap_or(u32::MAX))
}

/// Forgets the chosen file and what it held (the person closed the import).
#[tauri::command]
#[specta::specta]
pub fn cancel_import(transfer: State<'_, TransferState>) {
    transfer.clear();
}

/// Exports every item after checking the master password again: sealed with `export_password`
/// (Keyhaven's format, KDBX 4), or in plaintext (the UI explained it first). The file chooser
/// asks where; the file is readable by this OS user only. Returns its name, or `None` when the
/// person cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_vault(
    state: State<'_, AppState>,
    transfer: State<'_, TransferState>,
    master_password: String,
    format: ExportFormat,
    export_password: Option<String>,
) -> Result<Option<String>, CommandError> {
    let master_password = Zeroizing::new(master_password);
    let export_password = export_password.map(Zeroizing::new);
    state.with_unlocked(|vault| vault.verify_master_password(master_password.as_bytes()))?;
    format.check_password(export_password.as_deref().map(String::as_str))?;
    let suggested_name = format.suggested_file_name();
    let Some(path) = transfer.pick(Pick::Save { suggested_name })? else {
        return Ok(None);
    };
    let items = state.with_unlocked(|vault| vault.items())?;
    let bytes = format.write(&items, export_password.as_deref().map(String::as_str))?;
    write_private_file(&path, &bytes)?;
    Ok(Some(path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )))
}
