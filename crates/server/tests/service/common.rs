//! The test harness: the real service in-process on 127.0.0.1:0 over a fresh SQLite file or a
//! fresh PostgreSQL database, an HTTP client, and the SMS outbox to read codes from.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use keyhaven_protocol::accounts::{CreateAccount, SmsChallenge};
use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::sessions::{
    ChallengeOutcome, SessionGrant, SignIn, SignInOutcome, VerifyCode,
};
use keyhaven_protocol::statement::Statement;
use keyhaven_server::clock::Clock;
use keyhaven_server::config::Config;
use keyhaven_server::sms::SmsProvider;
use keyhaven_server::state::AppState;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs one async test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_engines {
    ($(async fn $name:ident($engine:ident: Engine) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn run($engine: Engine) $body
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { run(Engine::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { run(Engine::Postgres).await }
            }
        )*
    };
}

pub use keyhaven_testkit::service::{PASSWORD, PHONE};

/// A running service and everything a test needs to talk to it.
pub struct TestServer {
    pub engine: Engine,
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub database_url: String,
}

/// Settings for a test server: fast password hashing, and whatever the test changes.
pub fn test_config() -> Config {
    Config {
        database_max_connections: 16,
        ..keyhaven_testkit::service::fast_config()
    }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

impl TestServer {
    pub async fn start(engine: Engine) -> Self {
        Self::start_with(engine, test_config(), None).await
    }

    pub async fn start_with(
        engine: Engine,
        mut config: Config,
        sms: Option<Box<dyn SmsProvider>>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        config.data_dir = dir.path().join("data");
        config.database_url = match engine {
            Engine::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
            Engine::Postgres => fresh_postgres_database().await,
        };
        let clock = Clock::default();
        let state = keyhaven_server::start(config.clone(), clock.clone(), sms)
            .await
            .expect("the service starts");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let serving = state.clone();
        tokio::spawn(async move {
            keyhaven_server::serve(listener, serving, std::future::pending())
                .await
                .expect("serve");
        });
        Self {
            engine,
            base: format!("http://{address}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            clock,
            state,
            database_url: config.database_url.clone(),
            dir,
        }
    }

    pub fn outbox_path(&self) -> PathBuf {
        self.state.config.outbox_path()
    }

    /// Every line of the SMS outbox: (to, code).
    pub fn outbox(&self) -> Vec<(String, String)> {
        keyhaven_testkit::service::outbox(&self.outbox_path())
    }

    /// The latest code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> String {
        self.outbox()
            .into_iter()
            .rev()
            .find(|(to, _)| to == phone)
            .map(|(_, code)| code)
            .expect("a code was sent to this phone")
    }

    /// Sends a request; returns status, headers and body.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request reaches the service");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body").to_vec();
        (status, headers, bytes)
    }

    /// A request expected to succeed with `expected`; returns the decoded body.
    pub async fn ok<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<impl Serialize>,
        expected: StatusCode,
    ) -> T {
        let body = body.map(|b| serde_json::to_value(b).unwrap());
        let (status, _, bytes) = self.raw(method.clone(), path, token, body.as_ref()).await;
        assert_eq!(
            status,
            expected,
            "{method} {path}: {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(if bytes.is_empty() { b"null" } else { &bytes })
            .expect("response JSON")
    }

    /// A request expected to fail; returns the problem document after checking its shape.
    pub async fn problem(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<impl Serialize>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Problem) {
        let body = body.map(|b| serde_json::to_value(b).unwrap());
        let (status, headers, bytes) = self.raw(method.clone(), path, token, body.as_ref()).await;
        assert!(
            !status.is_success(),
            "{method} {path} should fail: {}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{method} {path}"
        );
        let problem: Problem = serde_json::from_slice(&bytes).expect("a problem document");
        assert_eq!(problem.status, status.as_u16());
        assert_eq!(
            problem.problem_type,
            format!("urn:keyhaven:error:{}", problem.code.as_str())
        );
        (status, headers, problem)
    }

    pub async fn expect_code(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<impl Serialize>,
        code: ErrorCode,
    ) -> Problem {
        let (_, _, problem) = self.problem(method, path, token, body).await;
        assert_eq!(
            problem.code,
            code,
            "{}",
            problem.detail.clone().unwrap_or_default()
        );
        problem
    }

    pub async fn statement(&self) -> Statement {
        self.ok(
            Method::GET,
            "/v1/statement",
            None,
            None::<()>,
            StatusCode::OK,
        )
        .await
    }

    /// Starts account creation; returns the challenge.
    pub async fn begin_account(
        &self,
        email: &str,
        phone: &str,
        device: &DeviceInfo,
    ) -> SmsChallenge {
        let version = self.statement().await.version;
        let request = CreateAccount {
            email: email.into(),
            password: PASSWORD.into(),
            phone: phone.into(),
            accepted_statement_version: version,
            device: device.clone(),
            replaces_challenge_id: None,
        };
        self.ok(
            Method::POST,
            "/v1/accounts",
            None,
            Some(request),
            StatusCode::ACCEPTED,
        )
        .await
    }

    /// Confirms a challenge with a code.
    pub async fn verify(&self, challenge: &SmsChallenge, code: &str) -> ChallengeOutcome {
        let path = format!("/v1/challenges/{}/verify", challenge.challenge_id);
        self.ok(
            Method::POST,
            &path,
            None,
            Some(VerifyCode { code: code.into() }),
            StatusCode::OK,
        )
        .await
    }

    /// Creates and activates an account; returns the first device's session.
    pub async fn account(&self, email: &str, phone: &str, device: &DeviceInfo) -> SessionGrant {
        let challenge = self.begin_account(email, phone, device).await;
        match self.verify(&challenge, &self.last_code(phone)).await {
            ChallengeOutcome::SignedIn(grant) => grant,
            other => panic!("expected a session, got {other:?}"),
        }
    }

    /// Signs in with the SMS step (moving the clock past the resend cooldown first).
    pub async fn sign_in(&self, email: &str, phone: &str, device: &DeviceInfo) -> SessionGrant {
        self.clock.advance(Duration::from_secs(61));
        let request = SignIn {
            email: email.into(),
            password: PASSWORD.into(),
            device: device.clone(),
            accepted_statement_version: None,
        };
        let outcome: SignInOutcome = self
            .ok(
                Method::POST,
                "/v1/sessions",
                None,
                Some(request),
                StatusCode::ACCEPTED,
            )
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else {
            panic!("2-step verification is on by default");
        };
        match self.verify(&challenge, &self.last_code(phone)).await {
            ChallengeOutcome::SignedIn(grant) => grant,
            other => panic!("expected a session, got {other:?}"),
        }
    }
}

/// A device description with hashed identifiers.
pub fn device(name: &str, machine: &str, os_user: &str) -> DeviceInfo {
    let hash = |text: &str| hex::encode(Sha256::digest(text.as_bytes()));
    DeviceInfo {
        name: name.into(),
        platform: "linux".into(),
        machine_hash: hash(machine),
        machine_user_hash: hash(&format!("{machine}/{os_user}")),
    }
}

async fn fresh_postgres_database() -> String {
    let admin = std::env::var("KEYHAVEN_TEST_POSTGRES_URL").expect(
        "KEYHAVEN_TEST_POSTGRES_URL is not set: run the server tests through `make test`, which \
         starts a PostgreSQL of its own",
    );
    sqlx::any::install_default_drivers();
    let name = format!(
        "keyhaven_test_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::Relaxed)
    );
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::Executor::execute(
        &mut connection,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
    )
    .await
    .expect("create a test database");
    let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
    format!("{base}/{name}")
}
