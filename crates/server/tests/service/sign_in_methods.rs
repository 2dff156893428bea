//! A second provider for one account: an account without a password proves itself with an SMS
//! code to its phone, a signed-in device links one directly, and removing one never removes
//! the last.

use keyhaven_protocol::accounts::{LinkProvider, SignInMethods};
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{ChallengeOutcome, SessionGrant, SignInOutcome};
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;
use crate::social::{
    params, redeem_request, server_with_two_issuers, sign_in_at_provider_with, Provider, REDIRECT,
    VERIFIER,
};

const METHODS: &str = "/v1/account/sign-in-methods";

/// A one-time code for the app after `which` signed in `subject` (ada@example.com).
async fn app_code(
    server: &TestServer,
    provider: &Provider,
    which: &'static str,
    subject: &str,
) -> String {
    let to_app = sign_in_at_provider_with(
        server,
        provider,
        which,
        which == "apple",
        (subject, "ada@example.com"),
    )
    .await;
    params(&to_app)["code"].clone()
}

/// Ada signs up with Google (subject `g-1`): her account has no account password.
async fn google_account(server: &TestServer, google: &Provider) -> SessionGrant {
    let code = app_code(server, google, "google", "g-1").await;
    let mut request = redeem_request(&code);
    request.accepted_statement_version = Some(1);
    request.phone = Some(PHONE.into());
    let outcome: SignInOutcome = server
        .ok(
            Method::POST,
            "/v1/oauth/token",
            None,
            Some(&request),
            StatusCode::ACCEPTED,
        )
        .await;
    let SignInOutcome::SmsRequired(challenge) = outcome else {
        panic!("{outcome:?}")
    };
    let ChallengeOutcome::SignedIn(grant) =
        server.verify(&challenge, &server.last_code(PHONE)).await
    else {
        panic!("signed up");
    };
    grant
}

fn link_request(code: &str) -> LinkProvider {
    LinkProvider {
        client_id: "keyhaven-desktop".into(),
        code: code.into(),
        code_verifier: VERIFIER.into(),
        redirect_uri: REDIRECT.into(),
    }
}

fn names(methods: &SignInMethods) -> Vec<&str> {
    methods
        .providers
        .iter()
        .map(|p| p.provider.as_str())
        .collect()
}

on_both_engines! {
    async fn an_account_without_a_password_adds_a_second_provider_with_an_sms_code_to_its_phone(engine: Engine) {
        let (server, google, apple) = server_with_two_issuers(engine).await;
        let ada = google_account(&server, &google).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        // On a computer without Google, Ada signs in with Apple (same verified email).
        let code = app_code(&server, &apple, "apple", "a-1").await;
        let outcome: SignInOutcome = server
            .ok(Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("{outcome:?}") };
        assert!(challenge.sent);
        let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM social_identities").fetch_one(&server.state.db).await.unwrap();
        assert_eq!(linked, 1, "nothing is linked before the code");
        let ChallengeOutcome::SignedIn(grant) = server.verify(&challenge, &server.last_code(PHONE)).await else {
            panic!("signed in after the code");
        };
        assert_eq!(grant.account_id, ada.account_id);
        let methods: SignInMethods = server
            .ok(Method::GET, METHODS, Some(grant.tokens.access_token.expose()), None::<()>, StatusCode::OK)
            .await;
        assert!(!methods.password);
        assert_eq!(names(&methods), ["google", "apple"]);

        // From now on Apple signs in to the account like Google (2-step: the sign-in code).
        server.clock.advance(std::time::Duration::from_secs(61));
        let code = app_code(&server, &apple, "apple", "a-1").await;
        let outcome: SignInOutcome = server
            .ok(Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("{outcome:?}") };
        let ChallengeOutcome::SignedIn(again) = server.verify(&challenge, &server.last_code(PHONE)).await else {
            panic!("signed in");
        };
        assert_eq!(again.account_id, ada.account_id);
    }

    async fn a_wrong_code_links_nothing(engine: Engine) {
        let (server, google, apple) = server_with_two_issuers(engine).await;
        google_account(&server, &google).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        let code = app_code(&server, &apple, "apple", "a-1").await;
        let outcome: SignInOutcome = server
            .ok(Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("{outcome:?}") };
        let right = server.last_code(PHONE);
        let wrong = format!("{}{}", (right.as_bytes()[0] - b'0' + 1) % 10, &right[1..]);
        server
            .expect_code(Method::POST, &format!("/v1/challenges/{}/verify", challenge.challenge_id), None,
                Some(keyhaven_protocol::sessions::VerifyCode { code: wrong.as_str().into() }), ErrorCode::SmsCodeInvalid)
            .await;
        let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM social_identities").fetch_one(&server.state.db).await.unwrap();
        assert_eq!(linked, 1);
    }

    async fn a_signed_in_device_links_and_removes_providers_but_never_the_last(engine: Engine) {
        let (server, google, apple) = server_with_two_issuers(engine).await;
        let ada = google_account(&server, &google).await;
        let token = ada.tokens.access_token.expose().to_owned();
        let code = app_code(&server, &apple, "apple", "a-1").await;
        let methods: SignInMethods = server
            .ok(Method::POST, METHODS, Some(&token), Some(link_request(&code)), StatusCode::OK)
            .await;
        assert_eq!(names(&methods), ["google", "apple"]);
        server.expect_code(Method::POST, METHODS, Some(&token), Some(link_request(&code)), ErrorCode::InvalidGrant).await;
        let again = app_code(&server, &apple, "apple", "a-1").await;
        let same: SignInMethods = server
            .ok(Method::POST, METHODS, Some(&token), Some(link_request(&again)), StatusCode::OK)
            .await;
        assert_eq!(same, methods, "linking a linked identity changes nothing");

        // Bob (with a password) cannot take Ada's Apple identity, and can drop his own provider.
        let bob = server.account("bob@example.com", "+447700900456", &device("bob", "m9", "bob")).await;
        let bob_token = bob.tokens.access_token.expose().to_owned();
        let stolen = app_code(&server, &apple, "apple", "a-1").await;
        server.expect_code(Method::POST, METHODS, Some(&bob_token), Some(link_request(&stolen)), ErrorCode::IdentityInUse).await;
        let own = app_code(&server, &google, "google", "g-2").await;
        let bobs: SignInMethods = server.ok(Method::POST, METHODS, Some(&bob_token), Some(link_request(&own)), StatusCode::OK).await;
        assert!(bobs.password);
        let path = format!("{METHODS}/{}", bobs.providers[0].id);
        let bobs: SignInMethods = server.ok(Method::DELETE, &path, Some(&bob_token), None::<()>, StatusCode::OK).await;
        assert!(bobs.providers.is_empty(), "the password still signs in");
        server.expect_code(Method::DELETE, &format!("{METHODS}/{}", methods.providers[1].id), Some(&bob_token), None::<()>, ErrorCode::NotFound).await;

        let google_id = &methods.providers[0].id;
        let left: SignInMethods = server
            .ok(Method::DELETE, &format!("{METHODS}/{google_id}"), Some(&token), None::<()>, StatusCode::OK)
            .await;
        assert_eq!(names(&left), ["apple"]);
        server
            .expect_code(Method::DELETE, &format!("{METHODS}/{}", left.providers[0].id), Some(&token), None::<()>, ErrorCode::LastSignInMethod)
            .await;
        server.expect_code(Method::GET, METHODS, None, None::<()>, ErrorCode::Unauthenticated).await;
    }

    async fn two_removals_at_once_cannot_take_away_the_last_two(engine: Engine) {
        let (server, google, apple) = server_with_two_issuers(engine).await;
        let ada = google_account(&server, &google).await;
        let token = ada.tokens.access_token.expose().to_owned();
        let code = app_code(&server, &apple, "apple", "a-1").await;
        let methods: SignInMethods = server
            .ok(Method::POST, METHODS, Some(&token), Some(link_request(&code)), StatusCode::OK)
            .await;
        let paths: Vec<String> = (0..30)
            .map(|n| format!("{METHODS}/{}", methods.providers[n % 2].id))
            .collect();
        let answers = futures_util::future::join_all(
            paths.iter().map(|path| server.raw(Method::DELETE, path, Some(&token), None)),
        )
        .await;
        let removed = answers.iter().filter(|(status, _, _)| *status == StatusCode::OK).count();
        assert_eq!(removed, 1, "{:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM social_identities").fetch_one(&server.state.db).await.unwrap();
        assert_eq!(left, 1);
    }
}

on_both_engines! {
    async fn an_account_made_with_a_provider_adds_an_account_password_with_an_sms_code(engine: Engine) {
        use keyhaven_protocol::accounts::{AddPassword, SmsChallenge};
        let (server, google, _) = server_with_two_issuers(engine).await;
        let ada = google_account(&server, &google).await;
        let token = ada.tokens.access_token.expose().to_owned();
        let add = AddPassword { new_password: PASSWORD.into() };
        server.expect_code(Method::POST, "/v1/account/password", Some(&token), Some(AddPassword { new_password: "short".into() }), ErrorCode::WeakPassword).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        let challenge: SmsChallenge = server
            .ok(Method::POST, "/v1/account/password", Some(&token), Some(&add), StatusCode::ACCEPTED)
            .await;
        assert_eq!(challenge.phone_hint, "+…23", "the code goes to the account's phone");
        let sign_in = keyhaven_protocol::sessions::SignIn {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            device: device("desktop", "m5", "ada"),
            accepted_statement_version: None,
        };
        server.expect_code(Method::POST, "/v1/sessions", None, Some(&sign_in), ErrorCode::InvalidCredentials).await;
        let outcome = server.verify(&challenge, &server.last_code(PHONE)).await;
        assert_eq!(outcome, ChallengeOutcome::PasswordAdded);
        let methods: SignInMethods = server.ok(Method::GET, METHODS, Some(&token), None::<()>, StatusCode::OK).await;
        assert!(methods.password);
        server.expect_code(Method::POST, "/v1/account/password", Some(&token), Some(&add), ErrorCode::PasswordExists).await;
        // Now the password signs in, and Google may go.
        server.clock.advance(std::time::Duration::from_secs(61));
        let _: SignInOutcome = server.ok(Method::POST, "/v1/sessions", None, Some(&sign_in), StatusCode::ACCEPTED).await;
        let _: SignInMethods = server
            .ok(Method::DELETE, &format!("{METHODS}/{}", methods.providers[0].id), Some(&token), None::<()>, StatusCode::OK)
            .await;
    }
}
