//! Suite sign-in: a signed-in device publishes a suite token; another app of the same computer
//! trades it for its own session, without password or SMS code; nothing works from another
//! computer, after withdrawal, after the publishing device signed out, or after expiry.

use keyhaven_protocol::accounts::AccountInfo;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{SessionGrant, SuiteCheck, SuiteSignIn, SuiteToken};
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

fn suite_sign_in(token: &SuiteToken, machine: &str, user: &str) -> SuiteSignIn {
    SuiteSignIn {
        suite_token: token.suite_token.clone(),
        device: device("desktop app", machine, user),
        accepted_statement_version: None,
    }
}

fn check(token: &SuiteToken, machine: &str) -> SuiteCheck {
    SuiteCheck {
        suite_token: token.suite_token.clone(),
        machine_hash: device("x", machine, "ada").machine_hash,
    }
}

on_both_engines! {
    async fn another_app_of_the_same_computer_signs_in_with_the_suite_token_and_the_publisher_stays_signed_in(engine: Engine) {
        let server = TestServer::start(engine).await;
        let cli = server.account("ada@example.com", PHONE, &device("cli", "m1", "ada")).await;
        let cli_token = cli.tokens.access_token.expose();
        let suite: SuiteToken = server
            .ok(Method::POST, "/v1/sessions/suite-token", Some(cli_token), None::<()>, StatusCode::CREATED)
            .await;
        assert_eq!(suite.expires_in_seconds, 30 * 86_400);
        let sent = server.outbox().len();
        let () = server.ok(Method::POST, "/v1/sessions/suite/check", None, Some(check(&suite, "m1")), StatusCode::NO_CONTENT).await;

        let app: SessionGrant = server
            .ok(Method::POST, "/v1/sessions/suite", None, Some(suite_sign_in(&suite, "m1", "ada")), StatusCode::OK)
            .await;
        assert_eq!(app.account_id, cli.account_id);
        assert_ne!(app.device_id, cli.device_id, "the app gets a device session of its own");
        assert_eq!(server.outbox().len(), sent, "no SMS code");
        for token in [cli_token, app.tokens.access_token.expose()] {
            let me: AccountInfo = server.ok(Method::GET, "/v1/account", Some(token), None::<()>, StatusCode::OK).await;
            assert_eq!(me.email, "ada@example.com");
        }
    }

    async fn a_suite_token_works_only_on_its_computer_while_published_and_its_device_signed_in(engine: Engine) {
        let server = TestServer::start(engine).await;
        let cli = server.account("ada@example.com", PHONE, &device("cli", "m1", "ada")).await;
        let cli_token = cli.tokens.access_token.expose();
        let publish = || async {
            server
                .ok::<SuiteToken>(Method::POST, "/v1/sessions/suite-token", Some(cli_token), None::<()>, StatusCode::CREATED)
                .await
        };
        let invalid = ErrorCode::SuiteSessionInvalid;

        let suite = publish().await;
        server.expect_code(Method::POST, "/v1/sessions/suite", None, Some(suite_sign_in(&suite, "m2", "ada")), invalid).await;
        server.expect_code(Method::POST, "/v1/sessions/suite/check", None, Some(check(&suite, "m2")), invalid).await;

        // Publishing again replaces the token; withdrawing ends it.
        let newer = publish().await;
        server.expect_code(Method::POST, "/v1/sessions/suite", None, Some(suite_sign_in(&suite, "m1", "ada")), invalid).await;
        let () = server.ok(Method::DELETE, "/v1/sessions/suite-token", Some(cli_token), None::<()>, StatusCode::NO_CONTENT).await;
        server.expect_code(Method::POST, "/v1/sessions/suite", None, Some(suite_sign_in(&newer, "m1", "ada")), invalid).await;

        // The publishing device signs out: its token goes with it.
        let suite = publish().await;
        let () = server.ok(Method::DELETE, "/v1/sessions/current", Some(cli_token), None::<()>, StatusCode::NO_CONTENT).await;
        server.expect_code(Method::POST, "/v1/sessions/suite/check", None, Some(check(&suite, "m1")), invalid).await;
    }

    async fn a_suite_token_expires_with_the_refresh_lifetime(engine: Engine) {
        let server = TestServer::start(engine).await;
        let cli = server.account("ada@example.com", PHONE, &device("cli", "m1", "ada")).await;
        let suite: SuiteToken = server
            .ok(Method::POST, "/v1/sessions/suite-token", Some(cli.tokens.access_token.expose()), None::<()>, StatusCode::CREATED)
            .await;
        server.clock.advance(std::time::Duration::from_secs(30 * 86_400 + 1));
        server
            .expect_code(Method::POST, "/v1/sessions/suite", None, Some(suite_sign_in(&suite, "m1", "ada")), ErrorCode::SuiteSessionInvalid)
            .await;
    }
}
