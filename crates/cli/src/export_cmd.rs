//! `keyhaven vault export --format FORMAT --output FILE`: every item in plaintext, after saying
//! so and asking. The file is created readable by this OS user only, and written in place (no
//! temporary copy).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use anyhow::{bail, Context, Result};
use keyhaven_import::bitwarden_export::{csv_export, json_export};
use keyhaven_vault::Vault;
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{ExportArgs, ExportFormat};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// Writes the export once the person agreed to a plaintext file.
pub fn run(vault: &Vault, args: ExportArgs, input: &mut Input, json: bool) -> Result<()> {
    let items = vault.items()?;
    if !args.yes {
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
    let text = Zeroizing::new(match args.format {
        ExportFormat::BitwardenJson => json_export(&items),
        ExportFormat::BitwardenCsv => csv_export(&items),
    });
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    // An existing file keeps its mode on open: narrow it before anything is written.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private", args.output.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
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
