//! Issue #5's sync budgets, on the real service in-process on loopback and the real Secret
//! Service (run through `scripts/with-keyring.sh`, as `make sync-budgets` does):
//!
//! - first sync of a 10,000-item vault on a new device, excluding the KDF (< 1 s);
//! - one changed item reaching the other device: push → announcement → pull → decrypt, measured
//!   from the change's push to the other device's stored copy (median < 50 ms);
//! - bytes of the push and of the pull for one change, with 10,000 items and with 100 (must not
//!   grow: the sealed state each carries is the same size whatever the vault's).
//!
//! Prints one JSON line per figure and fails when a budget is missed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use keyhaven_client::connect::attach_vault;
use keyhaven_client::session::{Session, SessionStore};
use keyhaven_client::sync::sync_once;
use keyhaven_client::worker::SyncWorker;
use keyhaven_client::ApiClient;
use keyhaven_protocol::sessions::SessionGrant;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{ItemContent, ItemDraft, Login};
use keyhaven_vault::Vault;
use serde_json::json;

use keyhaven_testkit::service as common;

const ITEMS: usize = 10_000;
const FIRST_SYNC_ROUNDS: usize = 3;
const PROPAGATION_ROUNDS: usize = 60;
const MASTER: &str = "correct horse battery staple";

fn login(n: usize) -> ItemDraft {
    ItemDraft {
        title: format!("Site {n:05}"),
        content: ItemContent::Login(Login {
            username: format!("user{n}@example.com"),
            password: format!("pw-{n}-Zq8!v3#Lm"),
            urls: vec![format!("https://site{n}.example.com/login")],
            notes: "Recovery codes are in the safe.".into(),
            ..Login::default()
        }),
        favourite: n.is_multiple_of(17),
        folder: Some(format!("Folder {}", n % 12)),
        tags: vec!["bench".into()],
    }
}

struct Device {
    _dir: tempfile::TempDir,
    session: Arc<Session>,
    vault: Arc<Mutex<Vault>>,
}

async fn device(
    service: &common::Service,
    grant: SessionGrant,
    name: &str,
) -> anyhow::Result<(Device, Duration)> {
    let dir = tempfile::tempdir()?;
    let store = SessionStore::new(dir.path().join("account.json"), name);
    let session = Session::establish(ApiClient::new(&service.base)?, &service.base, grant, store)?;
    let started = Instant::now();
    let vault = attach_vault(
        &session,
        &dir.path().join("vault.sqlite"),
        MASTER,
        KdfParams::MINIMUM,
        false,
    )
    .await?;
    let attach = started.elapsed();
    Ok((
        Device {
            _dir: dir,
            session: Arc::new(session),
            vault: Arc::new(Mutex::new(vault)),
        },
        attach,
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Bytes of the push that sends one changed item, and of the `changes since` answer that brings
/// it to another device, for a vault of `items`.
async fn one_change_bytes(items: usize) -> anyhow::Result<(usize, usize)> {
    let service = common::service().await;
    let (a, _) = device(
        &service,
        common::account(&service).await,
        &format!("bench-bytes-{items}"),
    )
    .await?;
    {
        let mut vault = a.vault.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for n in 0..items {
            vault.add(login(n))?;
        }
    }
    sync_once(&a.session, a.vault.as_ref()).await?;
    let before = a
        .vault
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .sync_link()?
        .map_or(0, |l| l.revision);
    {
        let mut vault = a.vault.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let id = vault.list()?.first().context("no items")?.id;
        vault.update(id, login(999_999))?;
    }
    let push = {
        let vault = a.vault.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let plan = vault
            .prepare_push(500, "bench")?
            .context("nothing to push")?;
        serde_json::to_vec(&keyhaven_client::sync::push_request(&plan))?.len()
    };
    sync_once(&a.session, a.vault.as_ref()).await?;
    let page = a
        .session
        .authed(|api, token| async move { api.changes(&token, before).await })
        .await?;
    Ok((push, serde_json::to_vec(&page)?.len()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "run through scripts/with-keyring.sh (sessions live in the Secret Service)"
    );
    let service = common::service().await;
    let (a, _) = device(&service, common::account(&service).await, "bench-a").await?;
    {
        let mut vault = a.vault.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for n in 0..ITEMS {
            vault.add(login(n))?;
        }
    }
    let started = Instant::now();
    let report = sync_once(&a.session, a.vault.as_ref()).await?;
    let upload = started.elapsed();
    anyhow::ensure!(
        report.pushed == ITEMS,
        "pushed {} of {ITEMS}",
        report.pushed
    );
    println!(
        "{}",
        json!({ "figure": "first_upload_10k_ms", "value": upload.as_secs_f64() * 1000.0 })
    );

    // A new device's first sync: everything pulled, decrypted, checked, indexed.
    let mut first_syncs = Vec::new();
    for round in 0..FIRST_SYNC_ROUNDS {
        let grant = common::sign_in(&service, &format!("bench-b{round}")).await;
        let (b, attach) = device(&service, grant, &format!("bench-b{round}")).await?;
        let started = Instant::now();
        let report = sync_once(&b.session, b.vault.as_ref()).await?;
        let took = started.elapsed();
        anyhow::ensure!(
            report.pulled == ITEMS,
            "pulled {} of {ITEMS}",
            report.pulled
        );
        anyhow::ensure!(
            b.vault
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .list()?
                .len()
                == ITEMS
        );
        println!(
            "{}",
            json!({ "figure": "first_sync_10k_ms", "round": round, "value": took.as_secs_f64() * 1000.0, "attach_with_kdf_ms": attach.as_secs_f64() * 1000.0 })
        );
        first_syncs.push(took.as_secs_f64() * 1000.0);
    }
    first_syncs.sort_by(f64::total_cmp);
    let first_sync = percentile(&first_syncs, 0.5);

    // One change, A → B, with B's worker listening to the service's announcements.
    let grant = common::sign_in(&service, "bench-listener").await;
    let (b, _) = device(&service, grant, "bench-listener").await?;
    sync_once(&b.session, b.vault.as_ref()).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _worker = SyncWorker::start(
        &tokio::runtime::Handle::current(),
        b.session.clone(),
        b.vault.clone(),
        move |_, report| {
            if let Some(report) = report {
                if report.pulled > 0 {
                    let _ = tx.send(Instant::now());
                }
            }
        },
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    while rx.try_recv().is_ok() {}
    let target = a
        .vault
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .list()?
        .first()
        .context("no items")?
        .id;
    let mut propagation = Vec::new();
    for round in 0..PROPAGATION_ROUNDS {
        a.vault
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .update(target, login(100_000 + round))?;
        let started = Instant::now();
        sync_once(&a.session, a.vault.as_ref()).await?;
        let arrived = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .context("the change never reached B")?
            .context("B's worker stopped")?;
        let title = b
            .vault
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get(target)?
            .title;
        anyhow::ensure!(
            title == format!("Site {:05}", 100_000 + round),
            "B holds {title}"
        );
        propagation.push(arrived.duration_since(started).as_secs_f64() * 1000.0);
    }
    propagation.sort_by(f64::total_cmp);
    let (p50, p95) = (
        percentile(&propagation, 0.5),
        percentile(&propagation, 0.95),
    );
    println!(
        "{}",
        json!({ "figure": "one_change_a_to_b_ms", "p50": p50, "p95": p95, "rounds": PROPAGATION_ROUNDS })
    );

    let (small_push, small) = one_change_bytes(100).await?;
    let (large_push, large) = one_change_bytes(ITEMS).await?;
    println!(
        "{}",
        json!({ "figure": "one_change_pull_bytes", "vault_100": small, "vault_10k": large })
    );
    println!(
        "{}",
        json!({ "figure": "one_change_push_bytes", "vault_100": small_push, "vault_10k": large_push })
    );

    let mut missed = Vec::new();
    if first_sync >= 1000.0 {
        missed.push(format!(
            "first sync of 10,000 items took {first_sync:.0} ms (budget 1,000)"
        ));
    }
    if p50 >= 50.0 {
        missed.push(format!(
            "one change took {p50:.1} ms median to reach B (budget 50)"
        ));
    }
    if large > small + 64 {
        missed.push(format!(
            "one change's pull grew with the vault: {small} → {large} bytes"
        ));
    }
    if large_push > small_push + 64 {
        missed.push(format!(
            "one change's push grew with the vault: {small_push} → {large_push} bytes"
        ));
    }
    if !missed.is_empty() {
        bail!("budgets missed: {}", missed.join("; "));
    }
    Ok(())
}
