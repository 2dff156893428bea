//! `keyhaven vault totp` and `keyhaven vault health`: the current one-time code of a login, and
//! the password-health report (with a leak check only when asked for).

use std::sync::Mutex;

use anyhow::{Context, Result};
use keyhaven_client::health::{check_leaked_passwords, leak_check_url};
use keyhaven_vault::health::{HealthItem, HealthReport};
use keyhaven_vault::Vault;

use crate::args::{HealthArgs, TotpArgs};
use crate::output;

/// Prints the code (and, with `--json`, the seconds it has left).
pub fn totp(vault: &Vault, args: TotpArgs, json: bool) -> Result<()> {
    let code = vault.totp_code(vault.resolve(&args.item)?)?;
    if json {
        output::json(&code);
    } else {
        println!("{}", code.code);
    }
    Ok(())
}

/// Prints the report; with `--check-leaks`, checks the passwords against Have I Been Pwned first.
pub fn health(vault: &mut Vault, args: HealthArgs, json: bool) -> Result<()> {
    if args.check_leaks {
        let endpoint = leak_check_url(args.leak_check_url.as_deref());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the network runtime")?;
        let access = Mutex::new(&mut *vault);
        runtime.block_on(check_leaked_passwords(&access, &endpoint))?;
    }
    let report = vault.health_report()?;
    if json {
        output::json(&report);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn line(item: &HealthItem, detail: &str) {
    println!("  {:<32} {:<28} {detail}", item.title, item.subtitle);
}

fn print_report(report: &HealthReport) {
    println!("Weak passwords: {}", report.weak.len());
    for weak in &report.weak {
        line(&weak.item, &format!("strength {} of 4", weak.score));
    }
    println!(
        "Reused passwords: {} logins in {} groups",
        report.counts.reused,
        report.reused.len()
    );
    for (n, group) in report.reused.iter().enumerate() {
        println!("  group {}:", n + 1);
        for item in &group.items {
            line(item, "");
        }
    }
    println!(
        "Old passwords (not changed in over a year): {}",
        report.old.len()
    );
    for old in &report.old {
        line(&old.item, &format!("changed {}", date(old.changed_at)));
    }
    println!("Insecure websites (http://): {}", report.insecure.len());
    for insecure in &report.insecure {
        line(&insecure.item, &insecure.url);
    }
    match report.leaks_checked_at {
        None => println!(
            "Leaked passwords: not checked (keyhaven vault health --check-leaks asks Have I Been \
             Pwned, sending only the first 5 characters of each password's SHA-1)"
        ),
        Some(at) => {
            println!(
                "Leaked passwords: {} (checked {})",
                report.leaked.len(),
                date(at)
            );
            for leaked in &report.leaked {
                line(
                    &leaked.item,
                    &format!("seen {} times in breaches", leaked.seen),
                );
            }
            if report.leaks_unchecked > 0 {
                println!(
                    "  {} passwords changed since the check",
                    report.leaks_unchecked
                );
            }
        }
    }
}

/// A day as `YYYY-MM-DD` (UTC), from milliseconds since the Unix epoch.
fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| "at an unknown time".into())
}
