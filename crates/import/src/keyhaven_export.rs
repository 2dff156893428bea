//! Keyhaven's own encrypted export: every item in Keyhaven's item JSON, sealed with a password
//! the person chooses (the envelope is `keyhaven_vault::crypto::seal_export`). Items keep every
//! field, their times and histories; an import gives them fresh ids, so that a backup restored
//! next to the vault it came from (or its deleted items) never collides with it.

use keyhaven_vault::crypto::{open_export, seal_export, KdfParams, SealedExportError};
use keyhaven_vault::item::Item;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{ImportError, Imported};

const FORMAT: &str = "Keyhaven encrypted export";

#[derive(Serialize)]
struct PayloadOut<'a> {
    exported_at: i64,
    items: &'a [Item],
}

#[derive(Deserialize)]
struct PayloadIn {
    items: Vec<Item>,
}

/// The export file of `items` (dated now), sealed under `password` with `params`.
pub fn write(
    items: &[Item],
    password: &str,
    params: KdfParams,
) -> Result<Vec<u8>, SealedExportError> {
    let exported_at = crate::time::now_ms();
    let payload = Zeroizing::new(
        serde_json::to_vec(&PayloadOut { exported_at, items })
            .map_err(|e| SealedExportError::NotAnExport(e.to_string()))?,
    );
    seal_export(password.as_bytes(), params, &payload)
}

/// Opens and reads an export, naming `file_name` in every error.
pub fn read(file_name: &str, bytes: &[u8], password: &str) -> Result<Imported, ImportError> {
    let file = file_name.to_owned();
    let plain = open_export(password.as_bytes(), bytes).map_err(|e| match e {
        SealedExportError::WrongPassword => ImportError::WrongPassword { file: file.clone() },
        SealedExportError::Changed => ImportError::Changed { file: file.clone() },
        other => ImportError::WrongFormat {
            file: file.clone(),
            format: FORMAT,
            detail: other.to_string(),
        },
    })?;
    let payload: PayloadIn =
        serde_json::from_slice(&plain).map_err(|e| ImportError::WrongFormat {
            file,
            format: FORMAT,
            detail: format!("its sealed content is not Keyhaven items ({e})"),
        })?;
    let items = payload
        .items
        .into_iter()
        .map(|item| Item {
            id: uuid::Uuid::new_v4(),
            ..item
        })
        .collect();
    Ok(Imported {
        format: crate::Format::KeyhavenEncrypted,
        items,
        skipped: Vec::new(),
        not_kept: Vec::new(),
    })
}
