//! The service under abuse, on both engines: limits that parallel requests cannot pass, bounded
//! password hashing, idempotent retries, refreshes that survive interruptions, and a clean
//! problem document for any input.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use keyhaven_protocol::accounts::{CreateAccount, SmsChallenge};
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::sessions::{Refresh, SignIn, TokenPair};
use keyhaven_server::config::{Config, SignInLimits, SignUpLimits};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;
use crate::on_both_engines;

fn sign_in(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.into(),
        password: password.into(),
        device: device("laptop", "m", "ada"),
        accepted_statement_version: None,
    }
}

fn sign_up(email: &str, phone: &str) -> CreateAccount {
    CreateAccount {
        email: email.into(),
        password: PASSWORD.into(),
        phone: phone.into(),
        accepted_statement_version: 1,
        device: device("laptop", "m", "ada"),
        replaces_challenge_id: None,
    }
}

/// Sends every request at once; returns the statuses and codes, counted.
async fn fire<T: serde::Serialize>(
    server: &TestServer,
    path: &str,
    bodies: Vec<T>,
) -> BTreeMap<String, usize> {
    let answers = join_all(bodies.into_iter().map(|body| {
        let request = server
            .http
            .post(format!("{}{path}", server.base))
            .json(&body);
        async move {
            let response = request.send().await.expect("request reaches the service");
            let status = response.status();
            let bytes = response.bytes().await.expect("body");
            match serde_json::from_slice::<Problem>(&bytes) {
                Ok(problem) if !status.is_success() => {
                    format!("{} {}", status.as_u16(), problem.code)
                }
                _ => status.as_u16().to_string(),
            }
        }
    }))
    .await;
    let mut counted = BTreeMap::new();
    for answer in answers {
        *counted.entry(answer).or_default() += 1;
    }
    counted
}

fn config_with(change: impl FnOnce(&mut Config)) -> Config {
    let mut config = test_config();
    change(&mut config);
    config
}

on_both_engines! {
    async fn thirty_parallel_wrong_passwords_meet_the_account_limit_exactly(engine: Engine) {
        let server = TestServer::start(engine).await;
        server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let wrong = (0..30).map(|n| sign_in("ada@example.com", &format!("wrong password {n}"))).collect();
        let counted = fire(&server, "/v1/sessions", wrong).await;
        assert_eq!(counted.get("401 invalid_credentials"), Some(&10), "{counted:?}");
        assert_eq!(counted.get("429 too_many_sign_in_attempts"), Some(&20), "{counted:?}");
        // The right password is refused as well until the window ends.
        server.expect_code(Method::POST, "/v1/sessions", None, Some(sign_in("ada@example.com", PASSWORD)), ErrorCode::TooManySignInAttempts).await;
    }

    async fn thirty_parallel_attempts_from_one_address_meet_its_limit_exactly(engine: Engine) {
        let config = config_with(|c| c.sign_in = SignInLimits { per_ip_attempts: 10, ..SignInLimits::default() });
        let server = TestServer::start_with(engine, config, None).await;
        let attempts = (0..30).map(|n| sign_in(&format!("nobody{n}@example.com"), PASSWORD)).collect();
        let counted = fire(&server, "/v1/sessions", attempts).await;
        assert_eq!(counted.get("401 invalid_credentials"), Some(&10), "{counted:?}");
        assert_eq!(counted.get("429 too_many_sign_in_attempts"), Some(&20), "{counted:?}");
    }

    async fn sign_ups_are_limited_per_address_and_per_email(engine: Engine) {
        let config = config_with(|c| c.sign_up = SignUpLimits::default());
        let server = TestServer::start_with(engine, config, None).await;
        let sign_ups = (0..30).map(|n| sign_up(&format!("user{n}@example.com"), &format!("+4477009{n:05}"))).collect();
        let counted = fire(&server, "/v1/accounts", sign_ups).await;
        assert_eq!(counted.get("202"), Some(&10), "{counted:?}");
        assert_eq!(counted.get("429 rate_limited"), Some(&20), "{counted:?}");
        assert_eq!(server.outbox().len(), 10, "one SMS per admitted sign-up, none for the rest");

        let config = config_with(|c| {
            c.sign_up = SignUpLimits { per_email_attempts: 3, ..SignUpLimits::default() };
            c.sms.code_ttl_seconds = 1;
        });
        let server = TestServer::start_with(engine, config, None).await;
        for _ in 0..3 {
            server.clock.advance(std::time::Duration::from_secs(61));
            let _: SmsChallenge = server.ok(Method::POST, "/v1/accounts", None, Some(sign_up("ada@example.com", PHONE)), StatusCode::ACCEPTED).await;
        }
        server.clock.advance(std::time::Duration::from_secs(61));
        let problem = server.expect_code(Method::POST, "/v1/accounts", None, Some(sign_up("ada@example.com", PHONE)), ErrorCode::RateLimited).await;
        assert!(problem.retry_after_seconds.is_some());
    }

    async fn password_probes_on_a_pending_sign_up_are_throttled(engine: Engine) {
        let server = TestServer::start(engine).await;
        let _: SmsChallenge = server.ok(Method::POST, "/v1/accounts", None, Some(sign_up("ada@example.com", PHONE)), StatusCode::ACCEPTED).await;
        let probes = (0..30)
            .map(|n| CreateAccount { password: format!("guessed password {n}").as_str().into(), ..sign_up("ada@example.com", PHONE) })
            .collect();
        let counted = fire(&server, "/v1/accounts", probes).await;
        assert_eq!(counted.get("409 email_taken"), Some(&10), "{counted:?}");
        assert_eq!(counted.get("429 too_many_sign_in_attempts"), Some(&20), "{counted:?}");
    }

    async fn a_double_submitted_sign_up_gets_the_same_challenge_and_one_sms(engine: Engine) {
        let server = TestServer::start(engine).await;
        // Sent in parallel from the start: one account, one challenge, one SMS.
        let parallel = join_all((0..4).map(|_| {
            let request = server.http.post(format!("{}/v1/accounts", server.base)).json(&sign_up("bob@example.com", "+447700900456"));
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::ACCEPTED);
                response.json::<SmsChallenge>().await.unwrap().challenge_id
            }
        }))
        .await;
        assert!(parallel.iter().all(|id| id == &parallel[0]), "{parallel:?}");
        assert_eq!(server.outbox().len(), 1);

        let first: SmsChallenge = server.ok(Method::POST, "/v1/accounts", None, Some(sign_up("ada@example.com", PHONE)), StatusCode::ACCEPTED).await;
        let retries = fire(&server, "/v1/accounts", vec![sign_up("ada@example.com", PHONE); 3]).await;
        assert_eq!(retries.get("202"), Some(&3), "{retries:?}");
        let again: SmsChallenge = server.ok(Method::POST, "/v1/accounts", None, Some(sign_up("ada@example.com", PHONE)), StatusCode::ACCEPTED).await;
        assert_eq!(again.challenge_id, first.challenge_id);
        assert_eq!(server.outbox().len(), 2);
        let code = server.last_code(PHONE);
        assert!(matches!(server.verify(&first, &code).await, keyhaven_protocol::sessions::ChallengeOutcome::SignedIn(_)));
    }

    async fn parallel_refreshes_of_one_token_leave_the_device_signed_in(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let refreshes = join_all((0..10).map(|_| {
            let request = server
                .http
                .post(format!("{}/v1/sessions/refresh", server.base))
                .json(&Refresh { refresh_token: grant.tokens.refresh_token.clone() });
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                response.json::<TokenPair>().await.unwrap()
            }
        }))
        .await;
        assert!(refreshes.iter().all(|pair| pair == &refreshes[0]), "every caller gets the one new pair");
        let token = refreshes[0].access_token.expose();
        let _: keyhaven_protocol::accounts::AccountInfo = server.ok(Method::GET, "/v1/account", Some(token), None::<()>, StatusCode::OK).await;
        // Using the new refresh token ends the grace of the old one: it is a replay now.
        let _: TokenPair = server.ok(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: refreshes[0].refresh_token.clone() }), StatusCode::OK).await;
        server.expect_code(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: grant.tokens.refresh_token }), ErrorCode::RefreshTokenReused).await;
    }

    async fn hashing_beyond_its_workers_and_queue_answers_503_at_once(engine: Engine) {
        let config = config_with(|c| {
            c.passwords.memory_kib = 8 * 1024;
            c.passwords.iterations = 3;
            c.passwords.max_concurrent_hashes = 1;
            c.passwords.max_queued_hashes = 1;
            c.sign_in.per_ip_attempts = 1000;
        });
        let server = TestServer::start_with(engine, config, None).await;
        let attempts = (0..20).map(|n| sign_in(&format!("nobody{n}@example.com"), PASSWORD)).collect();
        let counted = fire(&server, "/v1/sessions", attempts).await;
        let busy = counted.get("503 service_busy").copied().unwrap_or(0);
        let answered = counted.get("401 invalid_credentials").copied().unwrap_or(0);
        assert!(busy > 0 && answered > 0 && busy + answered == 20, "{counted:?}");
        let (status, headers, _) = loop {
            let attempts = (0..6).map(|n| sign_in(&format!("x{n}@example.com"), PASSWORD));
            let answers = join_all(attempts.map(|body| server.problem(Method::POST, "/v1/sessions", None, Some(body)))).await;
            if let Some(busy) = answers.into_iter().find(|(status, _, _)| *status == StatusCode::SERVICE_UNAVAILABLE) {
                break busy;
            }
        };
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    }

    async fn control_and_invisible_characters_get_a_400_never_a_500(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let token = grant.tokens.access_token.expose();
        let laptop = serde_json::to_value(device("laptop", "m", "ada")).unwrap();
        let with = |key: &str, value: serde_json::Value| {
            let mut device = laptop.clone();
            device[key] = value;
            device
        };
        let sign_in_bodies = [
            json!({"email": "ada\u{0}@example.com", "password": PASSWORD, "device": laptop}),
            json!({"email": "ada@example.com", "password": PASSWORD, "device": with("name", json!("lap\u{0}top"))}),
            json!({"email": "ada@example.com", "password": PASSWORD, "device": with("platform", json!("li\u{0}nux"))}),
            json!({"email": "a".repeat(10_000) + "@example.com", "password": PASSWORD, "device": laptop}),
        ];
        for body in &sign_in_bodies {
            let (status, _, problem) = server.problem(Method::POST, "/v1/sessions", None, Some(body)).await;
            assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNAUTHORIZED, "{status} {problem:?}");
        }
        let sign_up_bodies = [
            json!({"email": "bob@example.com", "password": PASSWORD, "phone": "+447700900555", "accepted_statement_version": 1, "device": with("name", json!("lap\u{0}top"))}),
            json!({"email": "b\u{200b}ob@example.com", "password": PASSWORD, "phone": "+447700900555", "accepted_statement_version": 1, "device": laptop}),
            json!({"email": "bob@exam\u{202e}ple.com", "password": PASSWORD, "phone": "+447700900555", "accepted_statement_version": 1, "device": laptop}),
            json!({"email": "x".repeat(10_000) + "@example.com", "password": PASSWORD, "phone": "+447700900555", "accepted_statement_version": 1, "device": laptop}),
        ];
        for body in &sign_up_bodies {
            let (status, _, _) = server.problem(Method::POST, "/v1/accounts", None, Some(body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
        }
        assert_eq!(server.outbox().len(), 1, "no SMS for a refused sign-up");
        for path in ["/v1/challenges/%00/verify", "/v1/challenges/a%00b/resend", "/v1/challenges/%E2%80%AE/verify"] {
            let (status, _, _) = server.problem(Method::POST, path, None, Some(json!({"code": "123456"}))).await;
            assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND, "{path}: {status}");
        }
        let (status, _, _) = server.problem(Method::GET, "/v1/vault/changes?since=0%00", Some(token), None::<()>).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // The account is untouched by all of it.
        let _: keyhaven_protocol::accounts::AccountInfo = server.ok(Method::GET, "/v1/account", Some(token), None::<()>, StatusCode::OK).await;
    }

    async fn every_error_is_a_problem_document(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let token = grant.tokens.access_token.expose();
        for (method, path, code) in [
            (Method::GET, "/v1/vault/changes?since=abc", ErrorCode::InvalidRequest),
            (Method::GET, "/v1/vault/changes", ErrorCode::InvalidRequest),
            (Method::DELETE, "/v1/devices/not-a-uuid", ErrorCode::InvalidRequest),
            (Method::PATCH, "/v1/vault", ErrorCode::MethodNotAllowed),
            (Method::GET, "/v1/nothing-here", ErrorCode::NotFound),
        ] {
            let problem = server.expect_code(method.clone(), path, Some(token), None::<()>, code).await;
            let detail = problem.detail.unwrap_or_default();
            assert!(!detail.contains("deserialize") && !detail.contains("serde"), "{method} {path}: {detail}");
        }
        let (status, headers, _) = server.problem(Method::PATCH, "/v1/vault", Some(token), None::<()>).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(headers.get("allow").is_some());

        let send = |content_type: &'static str, body: Vec<u8>| {
            server
                .http
                .post(format!("{}/v1/sessions", server.base))
                .header("content-type", content_type)
                .body(body)
                .send()
        };
        for (content_type, body, status, code) in [
            ("text/plain", b"{}".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType),
            ("application/json", b"{not json".to_vec(), StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
            ("application/json", b"{\"email\": 3}".to_vec(), StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
            ("application/json", vec![b' '; 5 * 1024 * 1024], StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
        ] {
            let response = send(content_type, body).await.unwrap();
            assert_eq!(response.status(), status);
            assert_eq!(response.headers()["content-type"], "application/problem+json");
            let problem: Problem = response.json().await.unwrap();
            assert_eq!(problem.code, code);
        }
    }

    async fn the_bearer_scheme_is_case_insensitive(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let response = server
                .http
                .get(format!("{}/v1/account", server.base))
                .header("authorization", format!("{scheme} {}", grant.tokens.access_token.expose()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{scheme}");
        }
    }
}
