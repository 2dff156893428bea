//! Creating, confirming, changing and deleting accounts; the Web-Portal Statement.

use keyhaven_protocol::accounts::{
    AccountInfo, ChangePassword, ChangePhone, CreateAccount, DeleteAccount, SmsChallenge,
};
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{ChallengeOutcome, SignIn, SignInOutcome};
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

fn create_request(email: &str, password: &str, phone: &str, version: i64) -> CreateAccount {
    CreateAccount {
        email: email.into(),
        password: password.into(),
        phone: phone.into(),
        accepted_statement_version: version,
        device: device("laptop", "machine-a", "ada"),
        replaces_challenge_id: None,
    }
}

on_both_engines! {
    async fn creating_an_account_requires_accepting_the_current_statement(engine: Engine) {
        let server = TestServer::start(engine).await;
        let statement = server.statement().await;
        assert_eq!(statement.version, 1);
        assert!(statement.text.contains("Web-Portal Statement"));
        let problem = server
            .expect_code(Method::POST, "/v1/accounts", None,
                Some(create_request("ada@example.com", PASSWORD, PHONE, 0)), ErrorCode::StatementNotAccepted)
            .await;
        assert_eq!(problem.statement_version, Some(1));
        assert!(server.outbox().is_empty(), "no code is sent for a refused request");
    }

    async fn new_account_is_active_only_after_its_phone_code_is_confirmed(engine: Engine) {
        let server = TestServer::start(engine).await;
        let laptop = device("laptop", "machine-a", "ada");
        let challenge = server.begin_account("Ada@Example.com", PHONE, &laptop).await;
        assert_eq!(challenge.phone_hint, "+…23");
        assert_eq!(challenge.expires_in_seconds, 600);
        assert_eq!(challenge.resend_after_seconds, 60);
        let sign_in = SignIn {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            device: laptop.clone(),
            accepted_statement_version: None,
        };
        server.expect_code(Method::POST, "/v1/sessions", None, Some(&sign_in), ErrorCode::AccountNotActive).await;
        let outcome = server.verify(&challenge, &server.last_code(PHONE)).await;
        let ChallengeOutcome::SignedIn(grant) = outcome else { panic!("expected a session") };
        assert_eq!(grant.email, "ada@example.com");
        assert!(!grant.other_os_user_connected);
        let me: AccountInfo = server
            .ok(Method::GET, "/v1/account", Some(grant.tokens.access_token.expose()), None::<()>, StatusCode::OK)
            .await;
        assert_eq!(me.email, "ada@example.com");
        assert!(me.two_step_enabled, "2-step verification is on for new accounts");
        assert_eq!(me.accepted_statement_version, 1);
    }

    async fn account_fields_are_validated(engine: Engine) {
        let server = TestServer::start(engine).await;
        for (request, code) in [
            (create_request("not-an-email", PASSWORD, PHONE, 1), ErrorCode::InvalidEmail),
            (create_request("ada@example.com", PASSWORD, "07700900123", 1), ErrorCode::InvalidPhone),
            (create_request("ada@example.com", "short", PHONE, 1), ErrorCode::WeakPassword),
        ] {
            server.expect_code(Method::POST, "/v1/accounts", None, Some(request), code).await;
        }
    }

    async fn an_email_can_hold_only_one_account(engine: Engine) {
        let server = TestServer::start(engine).await;
        server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        server
            .expect_code(Method::POST, "/v1/accounts", None,
                Some(create_request("ADA@example.com", PASSWORD, "+447700900999", 1)), ErrorCode::EmailTaken)
            .await;
    }

    async fn an_unconfirmed_sign_up_changes_its_number_only_from_its_own_screen(engine: Engine) {
        let server = TestServer::start(engine).await;
        let first: SmsChallenge = server
            .ok(Method::POST, "/v1/accounts", None, Some(create_request("ada@example.com", PASSWORD, PHONE, 1)), StatusCode::ACCEPTED)
            .await;
        let other_password = create_request("ada@example.com", "someone else's password", "+447700900777", 1);
        server.expect_code(Method::POST, "/v1/accounts", None, Some(other_password), ErrorCode::EmailTaken).await;
        // Knowing the password is not enough to move the code to another number.
        let corrected = "+447700900999";
        let without_challenge = create_request("ada@example.com", PASSWORD, corrected, 1);
        server.expect_code(Method::POST, "/v1/accounts", None, Some(without_challenge), ErrorCode::EmailTaken).await;
        let wrong_challenge = CreateAccount {
            replaces_challenge_id: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
            ..create_request("ada@example.com", PASSWORD, corrected, 1)
        };
        server.expect_code(Method::POST, "/v1/accounts", None, Some(wrong_challenge), ErrorCode::EmailTaken).await;
        assert!(server.outbox().iter().all(|(to, _)| to == PHONE));
        let from_its_screen = CreateAccount {
            replaces_challenge_id: Some(first.challenge_id.clone()),
            ..create_request("ada@example.com", PASSWORD, corrected, 1)
        };
        let challenge: SmsChallenge = server
            .ok(Method::POST, "/v1/accounts", None, Some(from_its_screen), StatusCode::ACCEPTED)
            .await;
        assert_eq!(challenge.phone_hint, "+…99");
        let code = server.last_code(corrected);
        assert!(matches!(server.verify(&challenge, &code).await, ChallengeOutcome::SignedIn(_)));
        let again = create_request("ada@example.com", PASSWORD, PHONE, 1);
        server.expect_code(Method::POST, "/v1/accounts", None, Some(again), ErrorCode::EmailTaken).await;
    }

    async fn a_newer_statement_must_be_accepted_at_the_next_sign_in(engine: Engine) {
        let server = TestServer::start(engine).await;
        let laptop = device("laptop", "m", "ada");
        server.account("ada@example.com", PHONE, &laptop).await;
        let now = server.clock.now_ms();
        let version = keyhaven_server::store::statements::publish(&server.state.db, "Statement v2", now)
            .await
            .unwrap();
        assert_eq!(version, 2);
        assert_eq!(server.statement().await.text, "Statement v2");
        let mut sign_in = SignIn {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            device: laptop.clone(),
            accepted_statement_version: None,
        };
        let problem = server
            .expect_code(Method::POST, "/v1/sessions", None, Some(&sign_in), ErrorCode::StatementAcceptanceRequired)
            .await;
        assert_eq!(problem.statement_version, Some(2));
        sign_in.accepted_statement_version = Some(1);
        server.expect_code(Method::POST, "/v1/sessions", None, Some(&sign_in), ErrorCode::StatementAcceptanceRequired).await;
        sign_in.accepted_statement_version = Some(2);
        server.clock.advance(std::time::Duration::from_secs(61));
        let outcome: SignInOutcome =
            server.ok(Method::POST, "/v1/sessions", None, Some(&sign_in), StatusCode::ACCEPTED).await;
        assert!(matches!(outcome, SignInOutcome::SmsRequired(_)));
        let (accepted,): (i64,) = sqlx::query_as("SELECT statement_version FROM accounts")
            .fetch_one(&server.state.db)
            .await
            .unwrap();
        assert_eq!(accepted, 2);
    }

    async fn changing_the_password_signs_other_devices_out(engine: Engine) {
        let server = TestServer::start(engine).await;
        let laptop = server.account("ada@example.com", PHONE, &device("laptop", "m1", "ada")).await;
        let phone = server.sign_in("ada@example.com", PHONE, &device("phone", "m2", "ada")).await;
        let laptop_token = laptop.tokens.access_token.expose();
        let wrong = ChangePassword { current_password: "not the password".into(), new_password: "brand new password".into() };
        server.expect_code(Method::PUT, "/v1/account/password", Some(laptop_token), Some(wrong), ErrorCode::InvalidCredentials).await;
        let change = ChangePassword { current_password: PASSWORD.into(), new_password: "brand new password".into() };
        let () = server.ok(Method::PUT, "/v1/account/password", Some(laptop_token), Some(change), StatusCode::NO_CONTENT).await;
        server.expect_code(Method::GET, "/v1/account", Some(phone.tokens.access_token.expose()), None::<()>, ErrorCode::Unauthenticated).await;
        let _: AccountInfo = server.ok(Method::GET, "/v1/account", Some(laptop_token), None::<()>, StatusCode::OK).await;
        let old = SignIn { email: "ada@example.com".into(), password: PASSWORD.into(), device: device("x", "m3", "ada"), accepted_statement_version: None };
        server.expect_code(Method::POST, "/v1/sessions", None, Some(&old), ErrorCode::InvalidCredentials).await;
        let new = SignIn { password: "brand new password".into(), ..old };
        server.clock.advance(std::time::Duration::from_secs(61));
        let _: SignInOutcome = server.ok(Method::POST, "/v1/sessions", None, Some(&new), StatusCode::ACCEPTED).await;
    }

    async fn changing_the_phone_confirms_the_new_number_by_sms(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let token = grant.tokens.access_token.expose();
        server.clock.advance(std::time::Duration::from_secs(61));
        let new_phone = "+33612345678";
        let challenge = server
            .ok(Method::POST, "/v1/account/phone", Some(token),
                Some(ChangePhone { password: PASSWORD.into(), phone: new_phone.into() }), StatusCode::ACCEPTED)
            .await;
        let me: AccountInfo = server.ok(Method::GET, "/v1/account", Some(token), None::<()>, StatusCode::OK).await;
        assert_eq!(me.phone_hint, "+…23", "the old number stays until the new one is confirmed");
        let outcome = server.verify(&challenge, &server.last_code(new_phone)).await;
        assert_eq!(outcome, ChallengeOutcome::PhoneChanged);
        let me: AccountInfo = server.ok(Method::GET, "/v1/account", Some(token), None::<()>, StatusCode::OK).await;
        assert_eq!(me.phone_hint, "+…78");
    }

    async fn deleting_the_account_removes_its_vault_and_devices(engine: Engine) {
        let server = TestServer::start(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        let token = grant.tokens.access_token.expose();
        crate::vault::create_vault(&server, token).await;
        crate::vault::push_new(&server, token, 3).await;
        server.expect_code(Method::DELETE, "/v1/account", Some(token),
            Some(DeleteAccount { password: "wrong password!".into() }), ErrorCode::InvalidCredentials).await;
        let () = server
            .ok(Method::DELETE, "/v1/account", Some(token), Some(DeleteAccount { password: PASSWORD.into() }), StatusCode::NO_CONTENT)
            .await;
        for table in ["accounts", "devices", "access_tokens", "refresh_tokens", "vaults", "vault_items", "challenges"] {
            let (count,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&server.state.db)
                .await
                .unwrap();
            assert_eq!(count, 0, "{table} still has rows");
        }
        server.expect_code(Method::GET, "/v1/vault", Some(token), None::<()>, ErrorCode::Unauthenticated).await;
    }
}
