//! SMS security codes: format, storage, expiry, single use, tries, resend limits, providers.

use std::time::Duration;

use keyhaven_protocol::accounts::SmsChallenge;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{ChallengeOutcome, SignInOutcome, VerifyCode};
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

fn verify_path(challenge: &SmsChallenge) -> String {
    format!("/v1/challenges/{}/verify", challenge.challenge_id)
}

fn resend_path(challenge: &SmsChallenge) -> String {
    format!("/v1/challenges/{}/resend", challenge.challenge_id)
}

fn wrong(code: &str) -> String {
    let first = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{first}{}", &code[1..])
}

on_both_engines! {
    async fn sms_code_is_six_digits_and_stored_only_as_a_keyed_hash(engine: Engine) {
        let server = TestServer::start(engine).await;
        let challenge = server.begin_account("ada@example.com", PHONE, &device("l", "m", "u")).await;
        let code = server.last_code(PHONE);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let (stored,): (String,) = sqlx::query_as("SELECT code_hash FROM challenges WHERE id = $1")
            .bind(&challenge.challenge_id)
            .fetch_one(&server.state.db)
            .await
            .unwrap();
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&code));
    }

    async fn sms_code_works_only_once(engine: Engine) {
        let server = TestServer::start(engine).await;
        let challenge = server.begin_account("ada@example.com", PHONE, &device("l", "m", "u")).await;
        let code = server.last_code(PHONE);
        let _ = server.verify(&challenge, &code).await;
        server.expect_code(Method::POST, &verify_path(&challenge), None,
            Some(VerifyCode { code: code.as_str().into() }), ErrorCode::ChallengeNotFound).await;
    }

    async fn sms_code_expires_after_ten_minutes(engine: Engine) {
        let server = TestServer::start(engine).await;
        let challenge = server.begin_account("ada@example.com", PHONE, &device("l", "m", "u")).await;
        let code = server.last_code(PHONE);
        server.clock.advance(Duration::from_secs(600));
        server.expect_code(Method::POST, &verify_path(&challenge), None,
            Some(VerifyCode { code: code.as_str().into() }), ErrorCode::SmsCodeExpired).await;
        // A new code brings the challenge back.
        let _: SmsChallenge = server.ok(Method::POST, &resend_path(&challenge), None, None::<()>, StatusCode::OK).await;
        let outcome = server.verify(&challenge, &server.last_code(PHONE)).await;
        assert!(matches!(outcome, ChallengeOutcome::SignedIn(_)));
    }

    async fn wrong_sms_code_five_times_burns_the_code(engine: Engine) {
        let server = TestServer::start(engine).await;
        let challenge = server.begin_account("ada@example.com", PHONE, &device("l", "m", "u")).await;
        let code = server.last_code(PHONE);
        for tries_left in (1..=4).rev() {
            let problem = server.expect_code(Method::POST, &verify_path(&challenge), None,
                Some(VerifyCode { code: wrong(&code).into() }), ErrorCode::SmsCodeInvalid).await;
            assert_eq!(problem.tries_left, Some(tries_left));
        }
        let problem = server.expect_code(Method::POST, &verify_path(&challenge), None,
            Some(VerifyCode { code: wrong(&code).into() }), ErrorCode::SmsCodeBurned).await;
        assert_eq!(problem.tries_left, Some(0));
        server.expect_code(Method::POST, &verify_path(&challenge), None,
            Some(VerifyCode { code: code.as_str().into() }), ErrorCode::SmsCodeBurned).await;
        server.clock.advance(Duration::from_secs(60));
        let _: SmsChallenge = server.ok(Method::POST, &resend_path(&challenge), None, None::<()>, StatusCode::OK).await;
        let fresh = server.last_code(PHONE);
        assert!(matches!(server.verify(&challenge, &fresh).await, ChallengeOutcome::SignedIn(_)));
    }

    async fn resend_before_the_cooldown_answers_429_with_retry_after(engine: Engine) {
        let server = TestServer::start(engine).await;
        let challenge = server.begin_account("ada@example.com", PHONE, &device("l", "m", "u")).await;
        server.clock.advance(Duration::from_secs(20));
        let (status, headers, problem) = server.problem(Method::POST, &resend_path(&challenge), None, None::<()>).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(problem.code, ErrorCode::SmsResendTooSoon);
        assert_eq!(headers.get("retry-after").unwrap(), "40");
        assert_eq!(problem.retry_after_seconds, Some(40));
        let old_code = server.last_code(PHONE);
        server.clock.advance(Duration::from_secs(40));
        let _: SmsChallenge = server.ok(Method::POST, &resend_path(&challenge), None, None::<()>, StatusCode::OK).await;
        let new_code = server.last_code(PHONE);
        assert_eq!(server.outbox().len(), 2);
        if new_code != old_code {
            server.expect_code(Method::POST, &verify_path(&challenge), None,
                Some(VerifyCode { code: old_code.as_str().into() }), ErrorCode::SmsCodeInvalid).await;
        }
        assert!(matches!(server.verify(&challenge, &new_code).await, ChallengeOutcome::SignedIn(_)));
    }

    async fn at_most_five_codes_per_hour_per_account(engine: Engine) {
        let server = TestServer::start(engine).await;
        let challenge = server.begin_account("ada@example.com", PHONE, &device("l", "m", "u")).await;
        for _ in 0..4 {
            server.clock.advance(Duration::from_secs(61));
            let _: SmsChallenge = server.ok(Method::POST, &resend_path(&challenge), None, None::<()>, StatusCode::OK).await;
        }
        server.clock.advance(Duration::from_secs(61));
        let (_, headers, problem) = server.problem(Method::POST, &resend_path(&challenge), None, None::<()>).await;
        assert_eq!(problem.code, ErrorCode::SmsHourlyLimit);
        let wait: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
        assert!((3600 - 5 * 61..=3600).contains(&wait), "retry after {wait} s");
        server.clock.advance(Duration::from_secs(wait));
        let _: SmsChallenge = server.ok(Method::POST, &resend_path(&challenge), None, None::<()>, StatusCode::OK).await;
    }

    async fn at_most_five_codes_per_hour_per_phone_number(engine: Engine) {
        let server = TestServer::start(engine).await;
        for n in 0..5 {
            server.clock.advance(Duration::from_secs(61));
            server.begin_account(&format!("user{n}@example.com"), PHONE, &device("l", "m", "u")).await;
        }
        server.clock.advance(Duration::from_secs(61));
        let request = keyhaven_protocol::accounts::CreateAccount {
            email: "user5@example.com".into(),
            password: PASSWORD.into(),
            phone: PHONE.into(),
            accepted_statement_version: 1,
            device: device("l", "m", "u"),
            replaces_challenge_id: None,
        };
        server.expect_code(Method::POST, "/v1/accounts", None, Some(&request), ErrorCode::SmsHourlyLimit).await;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE email = 'user5@example.com'")
            .fetch_one(&server.state.db).await.unwrap();
        assert_eq!(count, 0, "a refused creation leaves no account behind");
        let other = keyhaven_protocol::accounts::CreateAccount { phone: "+447700900456".into(), ..request };
        let _: SmsChallenge = server.ok(Method::POST, "/v1/accounts", None, Some(other), StatusCode::ACCEPTED).await;
    }

    async fn a_sign_in_within_the_cooldown_goes_to_the_code_step_and_sends_its_code_when_asked(engine: Engine) {
        let server = TestServer::start(engine).await;
        server.account("ada@example.com", PHONE, &device("laptop", "m", "ada")).await;
        server.clock.advance(Duration::from_secs(15));
        let sent = server.outbox().len();
        // A second computer signs in 15 s after the first one's code went out.
        let sign_in = keyhaven_protocol::sessions::SignIn {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            device: device("desktop", "m2", "ada"),
            accepted_statement_version: None,
        };
        let outcome: SignInOutcome = server
            .ok(Method::POST, "/v1/sessions", None, Some(&sign_in), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("{outcome:?}") };
        assert!(!challenge.sent, "no code yet: {challenge:?}");
        assert_eq!(challenge.resend_after_seconds, 45);
        assert_eq!(server.outbox().len(), sent, "the cooldown still holds");
        // A retry is the same step; asking early is refused with the wait.
        let again: SignInOutcome = server
            .ok(Method::POST, "/v1/sessions", None, Some(&sign_in), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(same) = again else { panic!("{again:?}") };
        assert_eq!((same.challenge_id.as_str(), same.sent), (challenge.challenge_id.as_str(), false));
        server.expect_code(Method::POST, &resend_path(&challenge), None, None::<()>, ErrorCode::SmsResendTooSoon).await;
        // The first computer's code does not open this challenge.
        server.expect_code(Method::POST, &verify_path(&challenge), None,
            Some(VerifyCode { code: server.last_code(PHONE).as_str().into() }), ErrorCode::SmsCodeInvalid).await;
        server.clock.advance(Duration::from_secs(45));
        let fresh: SmsChallenge = server.ok(Method::POST, &resend_path(&challenge), None, None::<()>, StatusCode::OK).await;
        assert!(fresh.sent);
        assert_eq!(server.outbox().len(), sent + 1);
        assert!(matches!(server.verify(&challenge, &server.last_code(PHONE)).await, ChallengeOutcome::SignedIn(_)));
    }
}

mod carrier {
    //! The Twilio-Verify-compatible provider against a local HTTP server standing in for the
    //! carrier.

    use std::sync::{Arc, Mutex};

    use axum::extract::{Form, Path, State};
    use axum::http::{HeaderMap, StatusCode as AxumStatus};
    use axum::routing::post;
    use keyhaven_server::config::{SmsProviderKind, TwilioConfig};

    use super::*;

    /// What the carrier received: service, Authorization header, To, CustomCode.
    type Received = (String, String, String, String);

    #[derive(Clone, Default)]
    struct Carrier {
        received: Arc<Mutex<Vec<Received>>>,
        fail: bool,
    }

    async fn verifications(
        State(carrier): State<Carrier>,
        Path(service): Path<String>,
        headers: HeaderMap,
        Form(form): Form<std::collections::HashMap<String, String>>,
    ) -> AxumStatus {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        carrier.received.lock().unwrap().push((
            service,
            auth,
            form.get("To").cloned().unwrap_or_default(),
            form.get("CustomCode").cloned().unwrap_or_default(),
        ));
        assert_eq!(form.get("Channel").map(String::as_str), Some("sms"));
        if carrier.fail {
            AxumStatus::SERVICE_UNAVAILABLE
        } else {
            AxumStatus::CREATED
        }
    }

    async fn start_carrier(fail: bool) -> (Carrier, String) {
        let carrier = Carrier {
            fail,
            ..Carrier::default()
        };
        let app = axum::Router::new()
            .route("/v2/Services/{service}/Verifications", post(verifications))
            .with_state(carrier.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (carrier, base)
    }

    fn twilio_config(base: String) -> keyhaven_server::config::Config {
        let mut config = test_config();
        config.sms.provider = SmsProviderKind::Twilio;
        config.sms.twilio = Some(TwilioConfig {
            base_url: base,
            account_sid: "AC123".into(),
            auth_token: "carrier-secret".into(),
            service_sid: "VA456".into(),
        });
        config
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn twilio_provider_posts_our_code_with_basic_auth() {
        let (carrier, base) = start_carrier(false).await;
        let server = TestServer::start_with(Engine::Sqlite, twilio_config(base), None).await;
        let challenge = server
            .begin_account("ada@example.com", PHONE, &device("l", "m", "u"))
            .await;
        let received = carrier.received.lock().unwrap().clone();
        assert_eq!(received.len(), 1);
        let (service, auth, to, code) = &received[0];
        assert_eq!(service, "VA456");
        assert_eq!(auth, "Basic QUMxMjM6Y2Fycmllci1zZWNyZXQ=");
        assert_eq!(to, PHONE);
        assert!(!server.outbox_path().exists(), "the outbox is not used");
        assert!(matches!(
            server.verify(&challenge, code).await,
            ChallengeOutcome::SignedIn(_)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn carrier_failure_answers_sms_delivery_failed() {
        let (_carrier, base) = start_carrier(true).await;
        let server = TestServer::start_with(Engine::Sqlite, twilio_config(base), None).await;
        let request = keyhaven_protocol::accounts::CreateAccount {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            phone: PHONE.into(),
            accepted_statement_version: 1,
            device: device("l", "m", "u"),
            replaces_challenge_id: None,
        };
        let (status, _, problem) = server
            .problem(Method::POST, "/v1/accounts", None, Some(request))
            .await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(problem.code, ErrorCode::SmsDeliveryFailed);
    }
}
