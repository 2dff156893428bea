//! `keyhaven vault export --format FORMAT --output FILE`: every item, sealed with a password the
//! person chooses (Keyhaven's format, KDBX 4), or in plaintext after saying so and asking. The
//! file is created readable by this OS user only, and written in place (no temporary copy).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use anyhow::{bail, Context, Result};
use keyhaven_import::bitwarden_export::{csv_export, json_export};
use keyhaven_import::{kdbx_export, keyhaven_export};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::generator::check_master_password;
use keyhaven_vault::Vault;
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{ExportArgs, ExportFormat};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// Writes the export: sealed with a new password the person types twice, or, once they agreed,
/// in plaintext.
pub fn run(vault: &Vault, args: ExportArgs, input: &mut Input, json: bool) -> Result<()> {
    let items = vault.items()?;
    let sealed = matches!(args.format, ExportFormat::Keyhaven | ExportFormat::Kdbx);
    let password = if sealed {
        let password = input.new_secret("Password for the export file: ")?;
        check_master_password(&password, &[]).map_err(|e| UsageError(e.to_string()))?;
        Some(password)
    } else {
        None
    };
    if !sealed && !args.yes {
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
    let password = password.as_deref().map_or("", String::as_str);
    let bytes = Zeroizing::new(match args.format {
        ExportFormat::Keyhaven => keyhaven_export::write(&items, password, KdfParams::default())?,
        ExportFormat::Kdbx => kdbx_export::write(&items, password, KdfParams::default())?,
        ExportFormat::BitwardenJson => json_export(&items).into_bytes(),
        ExportFormat::BitwardenCsv => csv_export(&items).into_bytes(),
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
    file.write_all(&bytes)
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
