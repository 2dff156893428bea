//! `keyhaven vault export --format FORMAT --output FILE`: every item, sealed with a password the
//! person chooses (Keyhaven's format, KDBX 4), or in plaintext after saying so and asking. The
//! formats and the private file are `keyhaven_import::export`'s.

use anyhow::{bail, Result};
use keyhaven_import::export::{write_private_file, ExportFormat as Format};
use keyhaven_vault::Vault;
use serde_json::json;

use crate::args::{ExportArgs, ExportFormat};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// Writes the export: sealed with a new password the person types twice, or, once they agreed,
/// in plaintext.
pub fn run(vault: &Vault, args: ExportArgs, input: &mut Input, json: bool) -> Result<()> {
    let format = match args.format {
        ExportFormat::Keyhaven => Format::Keyhaven,
        ExportFormat::Kdbx => Format::Kdbx,
        ExportFormat::BitwardenJson => Format::BitwardenJson,
        ExportFormat::BitwardenCsv => Format::BitwardenCsv,
    };
    let items = vault.items()?;
    let password = if format.is_sealed() {
        let password = input.new_secret("Password for the export file: ")?;
        format
            .check_password(Some(&password))
            .map_err(|e| UsageError(e.to_string()))?;
        Some(password)
    } else {
        None
    };
    if !format.is_sealed() && !args.yes {
        eprintln!(
            "This writes all {} items, passwords included, UNENCRYPTED to {}. Anyone who can read \
             that file can read them. Delete it once it is imported.",
            items.len(),
            args.output.display()
        );
        if !input.confirm("Write the plaintext export?")? {
            bail!(UsageError("nothing was exported".into()));
        }
    }
    let bytes = format.write(&items, password.as_deref().map(String::as_str))?;
    write_private_file(&args.output, &bytes)?;
    if json {
        output::json(&json!({ "exported": items.len(), "file": args.output }));
    } else {
        println!(
            "Exported {} items to {}.",
            items.len(),
            args.output.display()
        );
    }
    Ok(())
}
