//! `keyhaven vault import --from FORMAT FILE`: the summary of what the file would add, then
//! every item in one transaction, or none. The reading is `keyhaven-import`'s.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use keyhaven_import::preview::{preview, Preview};
use keyhaven_import::{Format, Imported, Unlock, MAX_FILE_BYTES};
use keyhaven_vault::Vault;
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{Duplicates, ImportArgs, ImportFormat};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// Reads the file, shows the summary, asks (unless `--yes`), and imports.
pub fn run(vault: &mut Vault, args: ImportArgs, input: &mut Input, json: bool) -> Result<()> {
    let name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = read_capped(&args.file)?;
    let format = match args.format {
        ImportFormat::BitwardenJson => Format::BitwardenJson,
        ImportFormat::BitwardenCsv => Format::BitwardenCsv,
        ImportFormat::ChromeCsv => Format::ChromeCsv,
        ImportFormat::FirefoxCsv => Format::FirefoxCsv,
        ImportFormat::SafariCsv => Format::SafariCsv,
        ImportFormat::KeepassxcCsv => Format::KeepassXcCsv,
        ImportFormat::Csv => Format::GenericCsv,
        ImportFormat::Kdbx => Format::Kdbx,
        ImportFormat::KeepassXml => Format::KeepassXml,
        ImportFormat::OnePux => Format::OnePassword1pux,
        ImportFormat::Keyhaven => Format::KeyhavenEncrypted,
    };
    let mut unlock = Unlock::none();
    if format.needs_password() {
        unlock.password = Some(input.secret(&format!("Password of {name}: "))?);
    }
    match (&args.key_file, format.takes_key_file()) {
        (Some(path), true) => unlock.key_file = Some(Zeroizing::new(read_capped(path)?)),
        (Some(_), false) => bail!(UsageError("--key-file is for --from kdbx".into())),
        (None, _) => {}
    }
    let imported = format.open(&name, &bytes, &unlock)?;
    let summary = preview(&imported, &vault.items()?);
    if !json {
        print_summary(&name, &imported, &summary);
    }
    let skip_duplicates = match (args.duplicates, summary.duplicates.is_empty()) {
        (Some(choice), _) => choice == Duplicates::Skip,
        (None, true) => false,
        (None, false) => bail!(UsageError(format!(
            "{} items look like ones in the vault: choose --duplicates skip or --duplicates import",
            summary.duplicates.len()
        ))),
    };
    let items = summary.items_to_add(&imported, skip_duplicates);
    if !args.yes && !input.confirm(&format!("Import {} items?", items.len()))? {
        bail!(UsageError("nothing was imported".into()));
    }
    let added = vault.import_all_with_progress(&items, &mut progress_line())?;
    if json {
        output::json(&json!({
            "imported": added,
            "skipped": summary.skipped,
            "not_kept": summary.not_kept,
            "duplicates_skipped": if skip_duplicates { summary.duplicates.len() } else { 0 },
        }));
    } else {
        println!("Imported {added} items from {name}.");
    }
    Ok(())
}

/// A progress line on stderr, redrawn in place, when stderr is a terminal; nothing otherwise.
fn progress_line() -> impl FnMut(usize, usize) {
    let terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if terminal && total >= 200 {
            eprint!("\rImporting… {done} of {total}");
            if done == total {
                eprintln!();
            }
            std::io::stderr().flush().ok();
        }
    }
}

/// The file's bytes, refused beyond [`MAX_FILE_BYTES`] without reading more than that.
fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

fn print_summary(name: &str, imported: &Imported, summary: &Preview) {
    eprintln!("{name} holds {} items:", imported.items.len());
    for (kind, count) in &summary.by_kind {
        eprintln!("  {count:>6}  {}", kind.replace('_', " "));
    }
    let folders = summary.by_folder.keys().filter(|f| !f.is_empty()).count();
    if folders > 0 {
        eprintln!("  in {folders} folders");
    }
    for skipped in &summary.skipped {
        eprintln!("Skipped {}: {}", skipped.title, skipped.reason);
    }
    for left in &summary.not_kept {
        eprintln!("Not kept from {}: {}", left.item, left.what);
    }
    for duplicate in &summary.duplicates {
        eprintln!("Likely duplicate: {}", duplicate.title);
    }
}
