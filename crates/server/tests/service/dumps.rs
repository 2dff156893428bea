//! After a full scenario, neither the database dump nor the logs hold an account password, an
//! SMS code or a token in plaintext.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use keyhaven_protocol::accounts::{ChangePassword, ChangePhone, SmsChallenge};
use keyhaven_protocol::sessions::{Refresh, TokenPair};
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

/// Every log line any test of this binary wrote at debug level or above.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(move || LogWriter(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        logs
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `secret` occurs in `haystack` on its own (a code inside a longer digit run is not it).
fn occurs(haystack: &[u8], secret: &str) -> bool {
    let needle = secret.as_bytes();
    haystack
        .windows(needle.len())
        .enumerate()
        .any(|(at, window)| {
            window == needle
                && !at
                    .checked_sub(1)
                    .is_some_and(|b| haystack[b].is_ascii_alphanumeric())
                && !haystack
                    .get(at + needle.len())
                    .is_some_and(u8::is_ascii_alphanumeric)
        })
}

async fn dump(server: &TestServer) -> Vec<u8> {
    match server.engine {
        Engine::Sqlite => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&server.state.db)
                .await
                .unwrap();
            let mut bytes = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                let path = server.dir.path().join(format!("test.db{suffix}"));
                bytes.extend(std::fs::read(path).unwrap_or_default());
            }
            assert!(bytes.len() > 10_000, "the database file was read");
            bytes
        }
        Engine::Postgres => {
            let pg_dump =
                std::env::var("KEYHAVEN_TEST_PG_DUMP").unwrap_or_else(|_| "pg_dump".into());
            let output = std::process::Command::new(pg_dump)
                .args(["--data-only", "--inserts", &server.database_url])
                .output()
                .expect("pg_dump runs");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(String::from_utf8_lossy(&output.stdout).contains("INSERT INTO public.accounts"));
            output.stdout
        }
    }
}

on_both_engines! {
    async fn dumps_and_logs_hold_no_password_code_or_token(engine: Engine) {
        let logs = captured_logs();
        let server = TestServer::start(engine).await;
        let mut secrets: Vec<String> = vec![PASSWORD.to_owned()];
        let laptop = server.account("ada@example.com", PHONE, &device("laptop", "m1", "ada")).await;
        let desktop = server.sign_in("ada@example.com", PHONE, &device("desktop", "m2", "ada")).await;
        let token = laptop.tokens.access_token.expose().to_owned();
        crate::vault::create_vault(&server, &token).await;
        crate::vault::push_new(&server, &token, 5).await;
        let rotated: TokenPair = server
            .ok(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: desktop.tokens.refresh_token.clone() }), StatusCode::OK)
            .await;
        let new_password = "a completely new password";
        let change = ChangePassword { current_password: PASSWORD.into(), new_password: new_password.into() };
        let () = server.ok(Method::PUT, "/v1/account/password", Some(&token), Some(change), StatusCode::NO_CONTENT).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        let _: SmsChallenge = server
            .ok(Method::POST, "/v1/account/phone", Some(&token), Some(ChangePhone { password: new_password.into(), phone: "+33612345678".into() }), StatusCode::ACCEPTED)
            .await;
        secrets.push(new_password.to_owned());
        for grant in [&laptop, &desktop] {
            secrets.push(grant.tokens.access_token.expose().to_owned());
            secrets.push(grant.tokens.refresh_token.expose().to_owned());
        }
        secrets.push(rotated.access_token.expose().to_owned());
        secrets.push(rotated.refresh_token.expose().to_owned());
        let codes: Vec<String> = server.outbox().into_iter().map(|(_, code)| code).collect();
        assert_eq!(codes.len(), 3);
        secrets.extend(codes);

        let dump = dump(&server).await;
        for secret in &secrets {
            assert!(!occurs(&dump, secret), "the {engine:?} dump holds a secret in plaintext");
        }
        let logs = logs.lock().unwrap().clone();
        assert!(String::from_utf8_lossy(&logs).contains("+…23"), "the outbox logged the masked number");
        for secret in secrets.iter().chain([&PHONE.to_owned()]) {
            assert!(!occurs(&logs, secret), "the logs hold a secret or a full phone number");
        }
    }
}
