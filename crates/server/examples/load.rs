//! Load generator for the sync API budgets: `changes since` for an up-to-date device and
//! single-item pushes, against the real service on loopback (SQLite or PostgreSQL).
//!
//!   cargo run --release -p keyhaven-server --example load -- sqlite
//!   scripts/with-postgres.sh cargo run --release -p keyhaven-server --example load -- postgres
//!
//! Prints one JSON line per scenario with requests per second and latency percentiles, and
//! fails when a scenario is under its budget (issue #4: 5,000 `changes since`/s, 1,000 pushes/s).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use keyhaven_protocol::accounts::{CreateAccount, SmsChallenge};
use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::sessions::{ChallengeOutcome, VerifyCode};
use keyhaven_protocol::vault::{ItemChange, PushChanges};
use keyhaven_server::clock::Clock;
use keyhaven_server::config::Config;
use uuid::Uuid;

const SECONDS: u64 = 5;
const CONNECTIONS: usize = 32;
const ACCOUNTS: usize = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let engine = std::env::args().nth(1).unwrap_or_else(|| "sqlite".into());
    let dir = tempfile::tempdir()?;
    let database_url = match engine.as_str() {
        "sqlite" => format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display()),
        "postgres" => std::env::var("KEYHAVEN_TEST_POSTGRES_URL")
            .context("run through scripts/with-postgres.sh")?,
        other => bail!("unknown engine {other}: sqlite or postgres"),
    };
    let config = Config {
        data_dir: dir.path().join("data"),
        database_max_connections: 16,
        database_url,
        ..Config::default()
    };
    let state = keyhaven_server::start(config, Clock::default(), None).await?;
    let outbox = state.config.outbox_path();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(keyhaven_server::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;

    let mut tokens = Vec::new();
    for n in 0..ACCOUNTS {
        let phone = format!("+4477009{n:05}");
        tokens.push(
            account(
                &http,
                &base,
                &format!("load{n}@example.com"),
                &phone,
                &outbox,
            )
            .await?,
        );
    }
    for token in &tokens {
        // The legacy protocol (no sealed state): connections that share an account push
        // without waiting for each other, as the per-item compare-and-swap allows.
        let vault = keyhaven_testkit::legacy_create_vault();
        http.post(format!("{base}/v1/vault"))
            .bearer_auth(token)
            .json(&vault)
            .send()
            .await?
            .error_for_status()?;
        let changes = (0..500).map(|_| new_item()).collect();
        http.post(format!("{base}/v1/vault/items"))
            .bearer_auth(token)
            .json(&legacy_push(changes))
            .send()
            .await?
            .error_for_status()?;
    }

    let up_to_date = run(
        &http,
        &tokens,
        move |http, base, token| async move {
            let response = http
                .get(format!("{base}/v1/vault/changes?since=1"))
                .bearer_auth(token)
                .send()
                .await?;
            let page: keyhaven_protocol::vault::ChangesPage =
                response.error_for_status()?.json().await?;
            anyhow::ensure!(page.items.is_empty(), "the device was not up to date");
            Ok(())
        },
        &base,
    )
    .await?;
    let mut met = report(&engine, "changes_since_up_to_date", &up_to_date, 5_000.0);

    let pushes = run(
        &http,
        &tokens,
        move |http, base, token| async move {
            let request = legacy_push(vec![new_item()]);
            let response = http
                .post(format!("{base}/v1/vault/items"))
                .bearer_auth(token)
                .json(&request)
                .send()
                .await?;
            response.error_for_status()?;
            Ok(())
        },
        &base,
    )
    .await?;
    met &= report(&engine, "single_item_push", &pushes, 1_000.0);

    let one_account = run(
        &http,
        &tokens[..1],
        move |http, base, token| async move {
            let request = legacy_push(vec![new_item()]);
            http.post(format!("{base}/v1/vault/items"))
                .bearer_auth(token)
                .json(&request)
                .send()
                .await?
                .error_for_status()?;
            Ok(())
        },
        &base,
    )
    .await?;
    met &= report(
        &engine,
        "single_item_push_one_account",
        &one_account,
        1_000.0,
    );
    anyhow::ensure!(met, "a budget was missed");
    Ok(())
}

fn new_item() -> ItemChange {
    ItemChange {
        item_id: Uuid::new_v4(),
        base_revision: 0,
        version: None,
        blob: Some(Bytes(vec![7; 300])),
    }
}

fn legacy_push(changes: Vec<ItemChange>) -> PushChanges {
    PushChanges {
        base_revision: None,
        state: None,
        changes,
    }
}

/// Runs `CONNECTIONS` loops (spread over the accounts' tokens) for `SECONDS`; returns latencies.
async fn run<F, Fut>(
    http: &reqwest::Client,
    tokens: &[String],
    call: F,
    base: &str,
) -> anyhow::Result<Vec<Duration>>
where
    F: Fn(reqwest::Client, String, String) -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for n in 0..CONNECTIONS {
        let (http, base, token) = (
            http.clone(),
            base.to_owned(),
            tokens[n % tokens.len()].clone(),
        );
        let (stop, errors) = (stop.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match call(http.clone(), base.clone(), token.clone()).await {
                    Ok(()) => latencies.push(started.elapsed()),
                    Err(error) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("request failed: {error:#}");
                        }
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await?);
    }
    anyhow::ensure!(
        errors.load(Ordering::Relaxed) == 0,
        "{} requests failed",
        errors.load(Ordering::Relaxed)
    );
    Ok(all)
}

/// Prints the scenario's figures; false when it is under `budget` requests per second.
fn report(engine: &str, scenario: &str, latencies: &[Duration], budget: f64) -> bool {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| {
        sorted
            .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let per_second = sorted.len() as f64 / SECONDS as f64;
    println!(
        "{{\"engine\":\"{engine}\",\"scenario\":\"{scenario}\",\"requests_per_second\":{per_second:.0},\"budget\":{budget:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"connections\":{CONNECTIONS}}}",
        at(0.5),
        at(0.99)
    );
    per_second >= budget
}

async fn account(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    phone: &str,
    outbox: &std::path::Path,
) -> anyhow::Result<String> {
    let device = DeviceInfo {
        name: "load".into(),
        platform: "linux".into(),
        machine_hash: "a".repeat(64),
        machine_user_hash: "b".repeat(64),
    };
    let request = CreateAccount {
        email: email.into(),
        password: "load test password".into(),
        phone: phone.into(),
        accepted_statement_version: 1,
        device,
        replaces_challenge_id: None,
    };
    let challenge: SmsChallenge = http
        .post(format!("{base}/v1/accounts"))
        .json(&request)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let code = keyhaven_testkit::service::outbox(outbox)
        .into_iter()
        .rev()
        .find(|(to, _)| to == phone)
        .map(|(_, code)| code)
        .context("no code in the outbox")?;
    let outcome: ChallengeOutcome = http
        .post(format!(
            "{base}/v1/challenges/{}/verify",
            challenge.challenge_id
        ))
        .json(&VerifyCode { code: code.into() })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    match outcome {
        ChallengeOutcome::SignedIn(grant) => Ok(grant.tokens.access_token.expose().to_owned()),
        other => bail!("unexpected outcome {other:?}"),
    }
}
