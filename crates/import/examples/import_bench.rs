//! Issue #18's budgets, in release: importing a 10,000-item Bitwarden JSON and CSV export into a
//! new vault (parse, seal, store in one transaction, index: < 2 s, with this process's peak RSS
//! < 200 MiB), and exporting 10,000 items in each format (< 1 s, the KDF not counted: the
//! export of no items, which is the KDF, is timed and subtracted).
//!
//! Each figure is the median of three runs. Prints one JSON line per figure and fails when a
//! budget is missed.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use keyhaven_import::bitwarden_export::{csv_export, json_export};
use keyhaven_import::export::ExportFormat;
use keyhaven_import::Format;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{
    CustomField, Item, ItemContent, ItemDraft, Login, PasswordHistoryEntry,
};
use keyhaven_vault::Vault;
use serde_json::json;

const ITEMS: usize = 10_000;
const ROUNDS: usize = 3;
const IMPORT_BUDGET: Duration = Duration::from_secs(2);
const EXPORT_BUDGET: Duration = Duration::from_secs(1);
const RSS_BUDGET_MIB: f64 = 200.0;
const MASTER: &str = "correct horse battery staple";
const EXPORT_PASSWORD: &str = "violet anchor drifting 42 lanterns";

fn item(n: usize) -> Item {
    let mut item = Item::new(
        ItemDraft {
            title: format!("Site {n:05}"),
            content: ItemContent::Login(Login {
                username: format!("user{n}@example.com"),
                password: format!("pw-{n}-Zq8!v3#Lm"),
                urls: vec![
                    format!("https://site{n}.example.com/login"),
                    format!("https://m.site{n}.example.com"),
                ],
                notes: "Recovery codes are in the safe.\nSecond line.".into(),
                totp_secret: n.is_multiple_of(5).then(|| "JBSWY3DPEHPK3PXP".into()),
                custom_fields: vec![CustomField {
                    name: "PIN".into(),
                    value: format!("{:04}", n % 10_000),
                    hidden: true,
                }],
                ..Login::default()
            }),
            favourite: n.is_multiple_of(17),
            folder: Some(format!("Folder {}", n % 12)),
            tags: vec![],
        },
        uuid::Uuid::new_v4(),
        1_700_000_000_000,
    );
    item.password_history = vec![PasswordHistoryEntry {
        password: format!("old-{n}"),
        replaced_at: 1_690_000_000_000,
    }];
    item
}

fn peak_rss_mib() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM in /proc/self/status")?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .context("VmHWM has no number")?
        .parse()?;
    Ok(kib / 1024.0)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Parse, seal, store and index `file` into a new vault; the vault's own KDF is outside the timing.
fn import_once(format: Format, name: &str, file: &[u8]) -> anyhow::Result<(Duration, usize)> {
    let dir = tempfile::tempdir()?;
    let mut vault = Vault::create(
        &dir.path().join("v.sqlite"),
        MASTER.as_bytes(),
        KdfParams::MINIMUM,
    )?;
    let start = Instant::now();
    let imported = format.read(name, file)?;
    let added = vault.import_all(&imported.items)?;
    let elapsed = start.elapsed();
    if vault.list()?.len() != ITEMS {
        bail!("the vault lists {} items, not {ITEMS}", vault.list()?.len());
    }
    Ok((elapsed, added))
}

fn main() -> anyhow::Result<()> {
    let items: Vec<Item> = (0..ITEMS).map(item).collect();
    let files = [
        (
            Format::BitwardenJson,
            "bitwarden_export.json",
            json_export(&items).into_bytes(),
        ),
        (
            Format::BitwardenCsv,
            "bitwarden_export.csv",
            csv_export(&items).into_bytes(),
        ),
    ];
    let mut failed = Vec::new();
    for (format, name, file) in &files {
        let mut runs = Vec::new();
        for _ in 0..ROUNDS {
            let (elapsed, added) = import_once(*format, name, file)?;
            if added != ITEMS {
                bail!("{name}: {added} items imported, not {ITEMS}");
            }
            runs.push(elapsed);
        }
        let time = median(runs);
        let rss = peak_rss_mib()?;
        println!(
            "{}",
            json!({
                "figure": "import_10k", "format": format, "file_mib": file.len() as f64 / 1048576.0,
                "median_ms": ms(time), "budget_ms": ms(IMPORT_BUDGET),
                "peak_rss_mib": rss, "budget_peak_rss_mib": RSS_BUDGET_MIB,
            })
        );
        if time > IMPORT_BUDGET {
            failed.push(format!("importing {name} took {:.0} ms", ms(time)));
        }
        if rss > RSS_BUDGET_MIB {
            failed.push(format!("peak RSS {rss:.0} MiB while importing {name}"));
        }
    }

    for format in [
        ExportFormat::Keyhaven,
        ExportFormat::Kdbx,
        ExportFormat::BitwardenJson,
        ExportFormat::BitwardenCsv,
    ] {
        let time = |items: &[Item]| -> anyhow::Result<(Duration, usize)> {
            let mut runs = Vec::new();
            let mut size = 0;
            for _ in 0..ROUNDS {
                let start = Instant::now();
                size = format.write(items, Some(EXPORT_PASSWORD))?.len();
                runs.push(start.elapsed());
            }
            Ok((median(runs), size))
        };
        let (total, size) = time(&items)?;
        // A sealed format's key derivation (Argon2id at the default parameters; the KDBX one by
        // the keepass crate) is what writing no items at all costs.
        let kdf = if format.is_sealed() {
            time(&[])?.0
        } else {
            Duration::ZERO
        };
        let without_kdf = total.saturating_sub(kdf);
        println!(
            "{}",
            json!({
                "figure": "export_10k", "format": format, "file_mib": size as f64 / 1048576.0,
                "median_ms": ms(total), "kdf_ms": ms(kdf),
                "without_kdf_ms": ms(without_kdf), "budget_ms": ms(EXPORT_BUDGET),
            })
        );
        if without_kdf > EXPORT_BUDGET {
            failed.push(format!(
                "exporting {format:?} took {:.0} ms without the KDF",
                ms(without_kdf)
            ));
        }
    }
    if !failed.is_empty() {
        bail!("over budget: {}", failed.join("; "));
    }
    Ok(())
}
