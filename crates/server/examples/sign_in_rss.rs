//! Peak memory of the service under concurrent sign-ins (issue #15's budget: ≤ 300 MiB at 200
//! at once). Starts the real `keyhaven-server` binary (release, default password hashing) as a
//! child process on loopback, fires waves of 200 concurrent sign-ins and sign-ups, and reads the
//! child's peak RSS (VmHWM) from /proc.
//!
//!   cargo build --release -p keyhaven-server --bin keyhaven-server --example sign_in_rss
//!   target/release/examples/sign_in_rss
//!
//! Prints one JSON line and fails when the peak exceeds the budget.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::future::join_all;
use keyhaven_protocol::accounts::CreateAccount;
use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::sessions::SignIn;

const CONCURRENT: usize = 200;
const WAVES: usize = 3;
const BUDGET_MIB: f64 = 300.0;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn device(n: usize) -> DeviceInfo {
    DeviceInfo {
        name: format!("device {n}"),
        platform: "linux".into(),
        machine_hash: format!("{:064x}", n),
        machine_user_hash: format!("{:064x}", n + 1),
    }
}

/// The child's peak and current resident set, in MiB.
fn memory(pid: u32) -> anyhow::Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<f64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("no {name} in /proc/{pid}/status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .context("a number")?
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let binary = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(|release| release.join("keyhaven-server"))
        .context("the release directory")?;
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(&binary)
        .arg("serve")
        .env("KEYHAVEN_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env("KEYHAVEN_SERVER_DATA_DIR", dir.path())
        .env("KEYHAVEN_SERVER_SIGN_IN__PER_IP_ATTEMPTS", "1000000")
        .env("KEYHAVEN_SERVER_SIGN_UP__PER_IP_ATTEMPTS", "1000000")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let pid = child.id();
    let _server = Server(child);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENT)
        .timeout(Duration::from_secs(60))
        .build()?;
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            bail!("the service did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, idle_before) = memory(pid)?;

    let mut answered = 0usize;
    let mut busy = 0usize;
    let mut other = 0usize;
    let load_started = Instant::now();
    for wave in 0..WAVES {
        let requests = (0..CONCURRENT).map(|n| {
            let request = if n % 4 == 0 {
                http.post(format!("{base}/v1/accounts"))
                    .json(&CreateAccount {
                        email: format!("new{wave}-{n}@example.com"),
                        password: "a long enough password".into(),
                        phone: format!("+4477{:08}", wave * CONCURRENT + n),
                        accepted_statement_version: 1,
                        device: device(n),
                        replaces_challenge_id: None,
                    })
            } else {
                http.post(format!("{base}/v1/sessions")).json(&SignIn {
                    email: format!("nobody{wave}-{n}@example.com"),
                    password: "a wrong password".into(),
                    device: device(n),
                    accepted_statement_version: None,
                })
            };
            async move {
                request
                    .send()
                    .await
                    .map(|response| response.status().as_u16())
            }
        });
        for status in join_all(requests).await {
            match status {
                Ok(401 | 202) => answered += 1,
                Ok(503) => busy += 1,
                _ => other += 1,
            }
        }
    }
    let elapsed = load_started.elapsed();
    let (peak, after) = memory(pid)?;
    println!(
        "{}",
        serde_json::json!({
            "scenario": "concurrent_sign_ins",
            "concurrent": CONCURRENT,
            "waves": WAVES,
            "answered": answered,
            "service_busy_503": busy,
            "other": other,
            "seconds": elapsed.as_secs_f64(),
            "rss_idle_before_mib": idle_before,
            "peak_rss_mib": peak,
            "rss_after_mib": after,
            "budget_peak_rss_mib": BUDGET_MIB,
        })
    );
    if other > 0 {
        bail!("{other} answers were neither an answer nor 503");
    }
    if peak > BUDGET_MIB {
        bail!("peak RSS {peak:.0} MiB is over the budget of {BUDGET_MIB} MiB");
    }
    Ok(())
}
