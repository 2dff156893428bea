//! The real service in-process on loopback (SQLite, fast password hashing) and the steps every
//! client, CLI and benchmark test starts with: an account, a further device, the last SMS code.

use keyhaven_client::ApiClient;
use keyhaven_protocol::accounts::CreateAccount;
use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::sessions::{ChallengeOutcome, SessionGrant};
use keyhaven_server::config::{Config, PasswordConfig, SignUpLimits};

/// The account password of the test accounts.
pub const PASSWORD: &str = "account password 123";
/// The phone number of the test accounts (its hint is `+…23`).
pub const PHONE: &str = "+447700900123";

/// The service's settings for tests: cheap password hashing, and sign-up limits high enough for
/// many accounts from 127.0.0.1 (the limits have tests of their own).
pub fn fast_config() -> Config {
    Config {
        passwords: PasswordConfig {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
            min_length: 10,
            max_concurrent_hashes: 0,
            // Tests that fire many requests at once meet the limits under test, not the queue.
            max_queued_hashes: 512,
        },
        sign_up: SignUpLimits {
            per_ip_attempts: 1000,
            per_email_attempts: 1000,
            ..Default::default()
        },
        ..Config::default()
    }
}

/// Every SMS in the outbox file at `path`, oldest first: (to, code).
pub fn outbox(path: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("outbox line is JSON");
            let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
            (field("to"), field("code"))
        })
        .collect()
}

/// The service on its own runtime, so a test can kill it (every connection drops, as when a
/// server dies) and start it again on the same port and data.
pub struct Service {
    pub base: String,
    pub client: ApiClient,
    pub outbox: std::path::PathBuf,
    addr: std::net::SocketAddr,
    config: Config,
    /// The service's clock: tests move it past cooldowns instead of waiting.
    pub clock: keyhaven_server::clock::Clock,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

pub async fn service() -> Service {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        ..fast_config()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let clock = keyhaven_server::clock::Clock::default();
    let runtime = launch(config.clone(), clock.clone(), listener);
    Service {
        client: ApiClient::new(&base).unwrap(),
        outbox: config.outbox_path(),
        base,
        addr,
        config,
        clock,
        runtime: Some(runtime),
        _dir: dir,
    }
}

fn launch(
    config: Config,
    clock: keyhaven_server::clock::Clock,
    listener: std::net::TcpListener,
) -> tokio::runtime::Runtime {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = runtime
            .block_on(keyhaven_server::start(config, clock, None))
            .unwrap();
        runtime.spawn(keyhaven_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        runtime
    })
    .join()
    .unwrap()
}

impl Service {
    /// The service's SQLite database (tests that play a service which lies edit it).
    pub fn database(&self) -> std::path::PathBuf {
        self.config.data_dir.join("keyhaven.db")
    }

    /// Kills the service: the port closes and every open connection drops.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Starts the service again on the same address and data.
    pub fn restart(&mut self) {
        let listener = (0..100)
            .find_map(|_| {
                std::net::TcpListener::bind(self.addr)
                    .map_err(|_| std::thread::sleep(std::time::Duration::from_millis(50)))
                    .ok()
            })
            .expect("the service's port is free again");
        self.runtime = Some(launch(self.config.clone(), self.clock.clone(), listener));
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The code of the last SMS the service sent.
pub fn last_code(service: &Service) -> String {
    outbox(&service.outbox)
        .pop()
        .map(|(_, code)| code)
        .expect("a code was sent")
}

pub fn device(name: &str) -> DeviceInfo {
    DeviceInfo {
        name: name.into(),
        platform: "linux".into(),
        machine_hash: "a".repeat(64),
        machine_user_hash: "b".repeat(64),
    }
}

pub async fn account(service: &Service) -> SessionGrant {
    let statement = service.client.statement().await.unwrap();
    let request = CreateAccount {
        email: "ada@example.com".into(),
        password: PASSWORD.into(),
        phone: PHONE.into(),
        accepted_statement_version: statement.version,
        device: device("laptop"),
        replaces_challenge_id: None,
    };
    let challenge = service.client.create_account(&request).await.unwrap();
    assert_eq!(challenge.phone_hint, "+…23");
    match service
        .client
        .verify(&challenge.challenge_id, &last_code(service))
        .await
        .unwrap()
    {
        ChallengeOutcome::SignedIn(grant) => grant,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Signs a further device in with the account password and the SMS code from the outbox.
pub async fn sign_in(service: &Service, name: &str) -> SessionGrant {
    use keyhaven_protocol::sessions::{SignIn, SignInOutcome};
    // Past the SMS cooldown of the previous code sent to this account.
    service.clock.advance(std::time::Duration::from_secs(61));
    let request = SignIn {
        email: "ada@example.com".into(),
        password: PASSWORD.into(),
        device: device(name),
        accepted_statement_version: None,
    };
    let challenge = match service.client.sign_in(&request).await.unwrap() {
        SignInOutcome::SmsRequired(challenge) => challenge,
        other => panic!("expected the SMS step, got {other:?}"),
    };
    match service
        .client
        .verify(&challenge.challenge_id, &last_code(service))
        .await
        .unwrap()
    {
        ChallengeOutcome::SignedIn(grant) => grant,
        other => panic!("expected a session, got {other:?}"),
    }
}
