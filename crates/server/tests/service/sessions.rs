//! Signing in, 2-step verification, tokens, refresh rotation and reuse, sign-out, throttling.

use std::time::{Duration, Instant};

use keyhaven_protocol::accounts::{AccountInfo, SetTwoStep};
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{Refresh, SignIn, SignInOutcome, TokenPair};
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

fn sign_in(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.into(),
        password: password.into(),
        device: device("desktop", "machine-b", "ada"),
        accepted_statement_version: None,
    }
}

on_both_engines! {
    async fn sign_in_with_two_step_verification_needs_the_sms_code(engine: Engine) {
        let server = TestServer::start(engine).await;
        server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let grant = server.sign_in("ada@example.com", PHONE, &device("desktop", "m2", "ada")).await;
        let me: AccountInfo = server
            .ok(Method::GET, "/v1/account", Some(grant.tokens.access_token.expose()), None::<()>, StatusCode::OK)
            .await;
        assert_eq!(me.email, "ada@example.com");
        assert_eq!(grant.tokens.access_expires_in_seconds, 900);
        assert_eq!(grant.tokens.refresh_expires_in_seconds, 30 * 86_400);
    }

    async fn sign_in_without_two_step_verification_returns_the_session_at_once(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let off = SetTwoStep { password: PASSWORD.into(), enabled: false };
        let () = server
            .ok(Method::PUT, "/v1/account/two-step", Some(grant.tokens.access_token.expose()), Some(off), StatusCode::NO_CONTENT)
            .await;
        let sent = server.outbox().len();
        let outcome: SignInOutcome = server
            .ok(Method::POST, "/v1/sessions", None, Some(sign_in("ada@example.com", PASSWORD)), StatusCode::OK)
            .await;
        assert!(matches!(outcome, SignInOutcome::SignedIn(_)));
        assert_eq!(server.outbox().len(), sent, "no SMS without 2-step verification");
    }

    async fn unknown_email_and_wrong_password_answer_alike(engine: Engine) {
        let mut config = test_config();
        // Make the password hash the dominant cost, as it is in production (and large enough
        // that other tests running alongside do not decide the comparison).
        config.passwords.memory_kib = 32 * 1024;
        let server = TestServer::start_with(engine, config, None).await;
        server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let mut unknown_times = Vec::new();
        let mut wrong_times = Vec::new();
        for round in 0..6 {
            let started = Instant::now();
            let unknown = server
                .expect_code(Method::POST, "/v1/sessions", None, Some(sign_in(&format!("nobody{round}@example.com"), PASSWORD)), ErrorCode::InvalidCredentials)
                .await;
            unknown_times.push(started.elapsed());
            let started = Instant::now();
            let wrong = server
                .expect_code(Method::POST, "/v1/sessions", None, Some(sign_in("ada@example.com", "wrong password 1")), ErrorCode::InvalidCredentials)
                .await;
            wrong_times.push(started.elapsed());
            assert_eq!(unknown.detail, wrong.detail);
            assert_eq!(unknown.status, wrong.status);
            if round == 3 {
                // Stay under the per-account failure limit.
                sqlx::query("DELETE FROM rate_limits").execute(&server.state.db).await.unwrap();
            }
        }
        unknown_times.sort();
        wrong_times.sort();
        let (unknown, wrong) = (unknown_times[3].as_secs_f64(), wrong_times[3].as_secs_f64());
        let ratio = unknown / wrong;
        assert!((0.5..2.0).contains(&ratio), "unknown email {unknown:.4} s vs wrong password {wrong:.4} s");
    }

    async fn access_token_stops_working_after_fifteen_minutes(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let token = grant.tokens.access_token.expose();
        server.clock.advance(Duration::from_secs(899));
        let _: AccountInfo = server.ok(Method::GET, "/v1/account", Some(token), None::<()>, StatusCode::OK).await;
        server.clock.advance(Duration::from_secs(1));
        let (status, _, problem) = server.problem(Method::GET, "/v1/account", Some(token), None::<()>).await;
        assert_eq!((status, problem.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated));
        let fresh: TokenPair = server
            .ok(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: grant.tokens.refresh_token.clone() }), StatusCode::OK)
            .await;
        let _: AccountInfo = server.ok(Method::GET, "/v1/account", Some(fresh.access_token.expose()), None::<()>, StatusCode::OK).await;
    }

    async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_device(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let first = grant.tokens.refresh_token.clone();
        let second: TokenPair = server
            .ok(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: first.clone() }), StatusCode::OK)
            .await;
        assert_ne!(second.refresh_token, first);
        assert_ne!(second.access_token, grant.tokens.access_token);
        let _: AccountInfo = server.ok(Method::GET, "/v1/account", Some(second.access_token.expose()), None::<()>, StatusCode::OK).await;
        // Within the grace period the rotated token answers with the same pair (a client that
        // never stored it); after it, it revokes the device.
        let again: TokenPair = server
            .ok(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: first.clone() }), StatusCode::OK)
            .await;
        assert_eq!(again, second);
        server.clock.advance(Duration::from_secs(31));
        server.expect_code(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: first }), ErrorCode::RefreshTokenReused).await;
        server.expect_code(Method::GET, "/v1/account", Some(second.access_token.expose()), None::<()>, ErrorCode::Unauthenticated).await;
        server.expect_code(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: second.refresh_token }), ErrorCode::InvalidRefreshToken).await;
        server.expect_code(Method::POST, "/v1/sessions/refresh", None, Some(Refresh { refresh_token: "made-up".into() }), ErrorCode::InvalidRefreshToken).await;
    }

    async fn refresh_token_expires_after_thirty_days(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        server.clock.advance(Duration::from_secs(30 * 86_400));
        server.expect_code(Method::POST, "/v1/sessions/refresh", None,
            Some(Refresh { refresh_token: grant.tokens.refresh_token }), ErrorCode::InvalidRefreshToken).await;
    }

    async fn sign_out_revokes_the_session(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let token = grant.tokens.access_token.expose();
        let () = server.ok(Method::DELETE, "/v1/sessions/current", Some(token), None::<()>, StatusCode::NO_CONTENT).await;
        server.expect_code(Method::GET, "/v1/account", Some(token), None::<()>, ErrorCode::Unauthenticated).await;
        server.expect_code(Method::POST, "/v1/sessions/refresh", None,
            Some(Refresh { refresh_token: grant.tokens.refresh_token }), ErrorCode::InvalidRefreshToken).await;
    }

    async fn sign_in_is_throttled_per_account(engine: Engine) {
        let server = TestServer::start(engine).await;
        server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        for _ in 0..10 {
            server.expect_code(Method::POST, "/v1/sessions", None, Some(sign_in("ada@example.com", "wrong password 1")), ErrorCode::InvalidCredentials).await;
        }
        let (status, headers, problem) = server.problem(Method::POST, "/v1/sessions", None, Some(sign_in("ada@example.com", PASSWORD))).await;
        assert_eq!((status, problem.code), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManySignInAttempts));
        let wait: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&wait));
        // Another account from the same address is not affected.
        server.clock.advance(Duration::from_secs(61));
        server.account("bob@example.com", "+447700900456", &device("laptop", "m", "bob")).await;
        server.clock.advance(Duration::from_secs(61));
        let _: SignInOutcome = server.ok(Method::POST, "/v1/sessions", None, Some(sign_in("bob@example.com", PASSWORD)), StatusCode::ACCEPTED).await;
        server.clock.advance(Duration::from_secs(wait));
        let _: SignInOutcome = server.ok(Method::POST, "/v1/sessions", None, Some(sign_in("ada@example.com", PASSWORD)), StatusCode::ACCEPTED).await;
    }

    async fn sign_in_is_throttled_per_client_address(engine: Engine) {
        let mut config = test_config();
        config.sign_in.per_ip_attempts = 5;
        let server = TestServer::start_with(engine, config, None).await;
        for n in 0..5 {
            server.expect_code(Method::POST, "/v1/sessions", None, Some(sign_in(&format!("u{n}@example.com"), PASSWORD)), ErrorCode::InvalidCredentials).await;
        }
        let (_, headers, _) = server.problem(Method::POST, "/v1/sessions", None, Some(sign_in("u9@example.com", PASSWORD))).await;
        assert!(headers.get("retry-after").is_some());
        server.expect_code(Method::POST, "/v1/sessions", None, Some(sign_in("u9@example.com", PASSWORD)), ErrorCode::TooManySignInAttempts).await;
        // A second node on the same database sees the same count.
        let mut second = test_config();
        second.sign_in.per_ip_attempts = 5;
        second.database_url = server.database_url.clone();
        second.data_dir = server.dir.path().join("node2");
        let node2 = keyhaven_server::start(second, server.clock.clone(), None).await.unwrap();
        let blocked = keyhaven_server::throttle::admit_ip(&node2, "127.0.0.1".parse().unwrap()).await;
        assert_eq!(blocked.unwrap_err().code, ErrorCode::TooManySignInAttempts);
    }
}
