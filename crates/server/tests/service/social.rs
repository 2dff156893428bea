//! Social sign-in, the app's side of the browser leg: `GET /oauth/authorize` checks the native
//! app's request (RFC 8252, PKCE S256) and sends the browser to the configured provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Form;
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhaven_server::config::{ProviderConfig, ResponseMode};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use reqwest::StatusCode;
use serde_json::json;
use sha2::Digest as _;

use crate::common::*;
use crate::on_both_engines;

/// RFC 7636 appendix B.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const REDIRECT: &str = "http://127.0.0.1:51234/callback";

/// What the test provider will put in the ID token for a code it handed out.
#[derive(Clone)]
struct Grant {
    nonce: String,
    challenge: String,
    subject: String,
    email: String,
}

/// A provider on loopback: discovery, keys, and a token endpoint that checks the client's
/// credentials and PKCE and answers with an ID token signed by the test key. The test plays the
/// browser: it reads the authorization request and "logs in" by minting a code with `mint`.
#[derive(Clone)]
pub(crate) struct Provider {
    pub(crate) issuer: String,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
}

impl Provider {
    fn mint(&self, to_provider: &reqwest::Url, subject: &str, email: &str) -> String {
        let sent = params(to_provider);
        let code = format!("code-{}", self.grants.lock().unwrap().len());
        self.grants.lock().unwrap().insert(
            code.clone(),
            Grant {
                nonce: sent["nonce"].clone(),
                challenge: sent["code_challenge"].clone(),
                subject: subject.into(),
                email: email.into(),
            },
        );
        code
    }
}

fn signing_key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(
        include_str!("../../src/social/testdata/provider-key.pem"),
        Some(JsonWebKeyId::new("key-1".into())),
    )
    .unwrap()
}

fn id_token(issuer: &str, audience: &str, grant: &Grant) -> String {
    let now = chrono::Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(issuer.into()).unwrap(),
        vec![Audience::new(audience.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(grant.subject.clone()))
            .set_email(Some(EndUserEmail::new(grant.email.clone())))
            .set_email_verified(Some(true)),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(grant.nonce.clone())));
    CoreIdToken::new(
        claims,
        &signing_key(),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap()
    .to_string()
}

pub(crate) async fn provider_stub() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider {
        issuer: issuer.clone(),
        grants: Arc::default(),
    };
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
    });
    let keys =
        json!({ "keys": [serde_json::to_value(signing_key().as_verification_key()).unwrap()] });
    let at_token = provider.clone();
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(move || {
            let discovery = discovery.clone();
            async move { Json(discovery) }
        }))
        .route("/jwks", get(move || {
            let keys = keys.clone();
            async move { Json(keys) }
        }))
        .route("/token", post(move |headers: axum::http::HeaderMap, Form(form): Form<HashMap<String, String>>| {
            let provider = at_token.clone();
            async move {
                use base64::Engine as _;
                let refuse = |error: &str| (axum::http::StatusCode::BAD_REQUEST, Json(json!({ "error": error })));
                let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
                let credentials = base64::engine::general_purpose::STANDARD
                    .decode(basic.trim_start_matches("Basic "))
                    .unwrap_or_default();
                // RFC 6749 §2.3.1: id and secret are form-urlencoded inside HTTP Basic.
                let credentials = String::from_utf8(credentials).unwrap_or_default();
                let (id, secret) = credentials.split_once(':').unwrap_or_default();
                let decoded = reqwest::Url::parse(&format!("http://x/?id={id}&secret={secret}")).unwrap();
                let decoded: HashMap<String, String> = decoded.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
                let client = decoded.get("id").cloned().unwrap_or_default();
                if !["google-client", "apple-client"].contains(&client.as_str()) || decoded.get("secret").map(String::as_str) != Some("provider secret") {
                    return refuse("invalid_client");
                }
                let Some(grant) = provider.grants.lock().unwrap().remove(form.get("code").map(String::as_str).unwrap_or_default()) else {
                    return refuse("invalid_grant");
                };
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
                if computed != grant.challenge {
                    return refuse("invalid_grant");
                }
                (axum::http::StatusCode::OK, Json(json!({ "id_token": id_token(&provider.issuer, &client, &grant), "token_type": "Bearer", "access_token": "at" })))
            }
        }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    provider
}

async fn server_with_providers(engine: Engine) -> (TestServer, Provider) {
    let provider = provider_stub().await;
    let server = server_with(engine, &provider, &provider).await;
    (server, provider)
}

/// A service whose "google" and "apple" are two providers, with their own issuers.
pub(crate) async fn server_with_two_issuers(engine: Engine) -> (TestServer, Provider, Provider) {
    let (google, apple) = (provider_stub().await, provider_stub().await);
    let server = server_with(engine, &google, &apple).await;
    (server, google, apple)
}

async fn server_with(engine: Engine, google: &Provider, apple: &Provider) -> TestServer {
    let mut config = test_config();
    config.social.public_url = "https://account.keyhaven.test".into();
    for (name, mode, provider) in [
        ("google", ResponseMode::Query, google),
        ("apple", ResponseMode::FormPost, apple),
    ] {
        config.social.providers.insert(
            name.into(),
            ProviderConfig {
                issuer: provider.issuer.clone(),
                client_id: format!("{name}-client"),
                client_secret: Some("provider secret".into()),
                client_secret_key: None,
                response_mode: mode,
            },
        );
    }
    TestServer::start_with(engine, config, None).await
}

fn query(params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.query().unwrap_or_default().to_owned()
}

fn good(provider: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("client_id", "keyhaven-desktop"),
        ("redirect_uri", REDIRECT),
        ("state", "app-state-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("provider", provider),
    ]
}

/// The status and the Location header of `GET /oauth/authorize?…`, redirects not followed.
async fn authorize(
    server: &TestServer,
    params: &[(&str, &str)],
) -> (StatusCode, Option<reqwest::Url>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .get(format!("{}/oauth/authorize?{}", server.base, query(params)))
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| reqwest::Url::parse(l.to_str().unwrap()).unwrap());
    (response.status(), location)
}

pub(crate) fn params(url: &reqwest::Url) -> HashMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

on_both_engines! {
    async fn a_valid_request_sends_the_browser_to_the_provider_with_its_own_state_nonce_and_pkce(engine: Engine) {
        let (server, provider) = server_with_providers(engine).await;
        let (status, location) = authorize(&server, &good("google")).await;
        assert_eq!(status, StatusCode::FOUND);
        let location = location.unwrap();
        assert_eq!(format!("{}://{}{}", location.scheme(), location.authority(), location.path()), format!("{}/authorize", provider.issuer));
        let sent = params(&location);
        assert_eq!(sent["client_id"], "google-client");
        assert_eq!(sent["redirect_uri"], "https://account.keyhaven.test/oauth/callback/google");
        assert_eq!(sent["scope"], "openid email");
        assert_eq!(sent["code_challenge_method"], "S256");
        assert!(!sent.contains_key("response_mode"));
        assert_ne!(sent["state"], "app-state-123", "the provider never sees the app's state");
        assert_ne!(sent["code_challenge"], CHALLENGE, "nor the app's PKCE challenge");
        assert!(sent["state"].len() >= 43 && sent["nonce"].len() >= 43);

        let stored = keyhaven_server::store::oauth_requests::take(&server.state.db, &sent["state"], "google", server.clock.now_ms())
            .await
            .unwrap()
            .expect("the request is recorded under the provider state");
        assert_eq!((stored.app_state.as_str(), stored.redirect_uri.as_str(), stored.code_challenge.as_str()), ("app-state-123", REDIRECT, CHALLENGE));
        assert_eq!(stored.nonce, sent["nonce"]);
        assert!(keyhaven_server::store::oauth_requests::take(&server.state.db, &sent["state"], "google", server.clock.now_ms())
            .await
            .unwrap()
            .is_none(), "an answer is taken once");

        let (_, apple) = authorize(&server, &good("apple")).await;
        assert_eq!(params(&apple.unwrap())["response_mode"], "form_post");
    }

    async fn a_request_expires_after_its_time(engine: Engine) {
        let (server, _) = server_with_providers(engine).await;
        let (_, location) = authorize(&server, &good("google")).await;
        let state = params(&location.unwrap())["state"].clone();
        server.clock.advance(std::time::Duration::from_secs(601));
        assert!(keyhaven_server::store::oauth_requests::take(&server.state.db, &state, "google", server.clock.now_ms())
            .await
            .unwrap()
            .is_none());
    }

    async fn bad_redirect_uris_and_clients_get_an_error_page_and_no_redirect(engine: Engine) {
        let (server, _) = server_with_providers(engine).await;
        for (key, value) in [
            ("redirect_uri", "http://localhost:51234/callback"),
            ("redirect_uri", "https://evil.example/callback"),
            ("redirect_uri", "http://127.0.0.1:51234/elsewhere"),
            ("client_id", "someone-else"),
            ("state", ""),
        ] {
            let mut request = good("google");
            for pair in request.iter_mut().filter(|(k, _)| *k == key) {
                pair.1 = value;
            }
            let (status, location) = authorize(&server, &request).await;
            assert_eq!((status, location), (StatusCode::BAD_REQUEST, None), "{key}={value}");
        }
    }

    async fn other_refusals_go_back_to_the_app_with_its_state(engine: Engine) {
        let (server, _) = server_with_providers(engine).await;
        for (key, value, error) in [
            ("code_challenge_method", "plain", "invalid_request"),
            ("code_challenge", "", "invalid_request"),
            ("response_type", "token", "unsupported_response_type"),
            ("provider", "myspace", "invalid_request"),
        ] {
            let mut request = good("google");
            for pair in request.iter_mut().filter(|(k, _)| *k == key) {
                pair.1 = value;
            }
            let (status, location) = authorize(&server, &request).await;
            assert_eq!(status, StatusCode::FOUND, "{key}={value}");
            let location = location.unwrap();
            assert!(location.as_str().starts_with(REDIRECT), "{location}");
            let back = params(&location);
            assert_eq!((back["error"].as_str(), back["state"].as_str()), (error, "app-state-123"), "{key}={value}");
        }
    }
}

/// The browser: follows the service to the provider, "logs in", and brings the provider's
/// answer back to the service; returns where the service then sends the browser.
async fn sign_in_at_provider(
    server: &TestServer,
    provider: &Provider,
    which: &'static str,
    form_post: bool,
) -> reqwest::Url {
    sign_in_at_provider_with(
        server,
        provider,
        which,
        form_post,
        ("248289761001", "ada@example.com"),
    )
    .await
}

/// [`sign_in_at_provider`] at "google" as another person.
async fn sign_in_at_provider_as(
    server: &TestServer,
    provider: &Provider,
    subject: &'static str,
    email: &'static str,
) -> reqwest::Url {
    sign_in_at_provider_with(server, provider, "google", false, (subject, email)).await
}

pub(crate) async fn sign_in_at_provider_with(
    server: &TestServer,
    provider: &Provider,
    which: &'static str,
    form_post: bool,
    (subject, email): (&str, &str),
) -> reqwest::Url {
    let (_, to_provider) = authorize(server, &good(which)).await;
    let to_provider = to_provider.unwrap();
    let code = provider.mint(&to_provider, subject, email);
    let state = params(&to_provider)["state"].clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/oauth/callback/{which}", server.base);
    let answer = if form_post {
        http.post(url)
            .form(&[("code", code.as_str()), ("state", state.as_str())])
            .send()
            .await
            .unwrap()
    } else {
        http.get(format!(
            "{url}?{}",
            query(&[("code", code.as_str()), ("state", state.as_str())])
        ))
        .send()
        .await
        .unwrap()
    };
    assert_eq!(answer.status(), StatusCode::FOUND);
    reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

on_both_engines! {
    async fn the_provider_answer_becomes_a_one_time_code_bound_to_the_app(engine: Engine) {
        let (server, provider) = server_with_providers(engine).await;
        let to_app = sign_in_at_provider(&server, &provider, "google", false).await;
        assert!(to_app.as_str().starts_with(REDIRECT), "{to_app}");
        let back = params(&to_app);
        assert_eq!(back["state"], "app-state-123");
        let code = &back["code"];
        let hash = keyhaven_server::secrets::token_hash(code);
        let stored = keyhaven_server::store::oauth_codes::take(&server.state.db, &hash, server.clock.now_ms())
            .await
            .unwrap()
            .expect("the code is stored, hashed");
        assert_eq!((stored.provider.as_str(), stored.subject.as_str(), stored.email.as_deref(), stored.email_verified), ("google", "248289761001", Some("ada@example.com"), 1));
        assert_eq!(stored.issuer, provider.issuer, "the code names the issuer that vouched");
        assert_eq!((stored.client_id.as_str(), stored.redirect_uri.as_str(), stored.code_challenge.as_str()), ("keyhaven-desktop", REDIRECT, CHALLENGE));
        assert!(stored.expires_at <= server.clock.now_ms() + 60_000);

        // Apple-style providers post their answer.
        let to_app = sign_in_at_provider(&server, &provider, "apple", true).await;
        assert!(params(&to_app).contains_key("code"));
    }

    async fn cancelling_at_the_provider_and_replayed_answers_end_without_a_code(engine: Engine) {
        let (server, _) = server_with_providers(engine).await;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let (_, to_provider) = authorize(&server, &good("google")).await;
        let state = params(&to_provider.unwrap())["state"].clone();
        let cancelled = http
            .get(format!("{}/oauth/callback/google?{}", server.base, query(&[("error", "access_denied"), ("state", state.as_str())])))
            .send()
            .await
            .unwrap();
        let back = reqwest::Url::parse(cancelled.headers()["location"].to_str().unwrap()).unwrap();
        let back = params(&back);
        assert_eq!((back["error"].as_str(), back["state"].as_str()), ("access_denied", "app-state-123"));
        assert!(!back.contains_key("code"));
        let replayed = http
            .get(format!("{}/oauth/callback/google?{}", server.base, query(&[("code", "anything"), ("state", state.as_str())])))
            .send()
            .await
            .unwrap();
        assert_eq!(replayed.status(), StatusCode::BAD_REQUEST, "the request was used up");
        let forged = http
            .get(format!("{}/oauth/callback/google?{}", server.base, query(&[("code", "anything"), ("state", "made-up")])))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    }

    async fn an_answer_at_another_providers_callback_leaves_the_right_request_alone(engine: Engine) {
        let (server, provider) = server_with_providers(engine).await;
        let (_, to_provider) = authorize(&server, &good("google")).await;
        let to_provider = to_provider.unwrap();
        let code = provider.mint(&to_provider, "248289761001", "ada@example.com");
        let state = params(&to_provider)["state"].clone();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let answer = [("code", code.as_str()), ("state", state.as_str())];
        let wrong = http
            .post(format!("{}/oauth/callback/apple", server.base))
            .form(&answer)
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
        let right = http
            .get(format!("{}/oauth/callback/google?{}", server.base, query(&answer)))
            .send()
            .await
            .unwrap();
        assert_eq!(right.status(), StatusCode::FOUND);
        let back = params(&reqwest::Url::parse(right.headers()["location"].to_str().unwrap()).unwrap());
        assert!(back.contains_key("code"), "{back:?}");
    }

    async fn a_code_the_provider_does_not_honour_ends_in_server_error(engine: Engine) {
        let (server, _) = server_with_providers(engine).await;
        let (_, to_provider) = authorize(&server, &good("google")).await;
        let state = params(&to_provider.unwrap())["state"].clone();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let answer = http
            .get(format!("{}/oauth/callback/google?{}", server.base, query(&[("code", "never-issued"), ("state", state.as_str())])))
            .send()
            .await
            .unwrap();
        let back = params(&reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap());
        assert_eq!(back["error"], "server_error", "access_denied means the person declined");
        assert!(back["error_description"].contains("no longer accepts this sign-in"), "{back:?}");
        assert!(!back.contains_key("code"));
    }
}

#[tokio::test]
async fn the_configured_providers_are_listed_for_the_app() {
    let (server, _) = server_with_providers(Engine::Sqlite).await;
    let listed: keyhaven_protocol::sessions::SocialProviders = server
        .ok(
            reqwest::Method::GET,
            "/v1/oauth/providers",
            None,
            None::<()>,
            StatusCode::OK,
        )
        .await;
    assert_eq!(listed.providers, ["apple", "google"]);
}

#[tokio::test]
async fn an_unreachable_provider_is_reported_to_the_app() {
    let mut config = test_config();
    config.social.providers.insert(
        "google".into(),
        ProviderConfig {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "google-client".into(),
            client_secret: None,
            client_secret_key: None,
            response_mode: ResponseMode::Query,
        },
    );
    let server = TestServer::start_with(Engine::Sqlite, config, None).await;
    let (status, location) = authorize(&server, &good("google")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        params(&location.unwrap())["error"],
        "temporarily_unavailable"
    );
}

#[tokio::test]
async fn a_provider_whose_discovery_names_another_issuer_is_reported_as_misconfigured() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let discovery = json!({
        "issuer": "https://somewhere-else.example",
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
    });
    let app = Router::new().route(
        "/.well-known/openid-configuration",
        get(move || {
            let discovery = discovery.clone();
            async move { Json(discovery) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = test_config();
    config.social.providers.insert(
        "google".into(),
        ProviderConfig {
            issuer,
            client_id: "google-client".into(),
            client_secret: None,
            client_secret_key: None,
            response_mode: ResponseMode::Query,
        },
    );
    let server = TestServer::start_with(Engine::Sqlite, config, None).await;
    let (status, location) = authorize(&server, &good("google")).await;
    assert_eq!(status, StatusCode::FOUND);
    let answer = params(&location.unwrap());
    assert_eq!(answer["error"], "server_error");
    assert!(
        answer["error_description"].contains("not set up correctly"),
        "{answer:?}"
    );
}

/// RFC 7636 appendix B: the verifier of [`CHALLENGE`].
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub(crate) fn redeem_request(code: &str) -> keyhaven_protocol::sessions::RedeemSocialCode {
    keyhaven_protocol::sessions::RedeemSocialCode {
        client_id: "keyhaven-desktop".into(),
        code: code.into(),
        code_verifier: VERIFIER.into(),
        redirect_uri: REDIRECT.into(),
        device: device("laptop", "m1", "ada"),
        accepted_statement_version: None,
        phone: None,
        password: None,
    }
}

/// Links subject `subject` of `issuer` to an account, as "google".
async fn link(server: &TestServer, issuer: &str, subject: &str, account_id: &str) {
    let identity = keyhaven_server::store::social_identities::IdentityRow {
        issuer: issuer.into(),
        subject: subject.into(),
        provider: "google".into(),
        created_at: 1,
    };
    keyhaven_server::store::social_identities::link(&server.state.db, &identity, account_id)
        .await
        .unwrap();
}

/// A one-time code for the app, after a Google sign-in of subject 248289761001 (ada@example.com).
async fn app_code(server: &TestServer, provider: &Provider) -> String {
    let to_app = sign_in_at_provider(server, provider, "google", false).await;
    params(&to_app)["code"].clone()
}

on_both_engines! {
    async fn a_linked_identity_signs_in_with_the_sms_step(engine: Engine) {
        let (server, provider) = server_with_providers(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        link(&server, &provider.issuer, "248289761001", &grant.account_id.to_string()).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        let code = app_code(&server, &provider).await;
        let outcome: keyhaven_protocol::sessions::SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), StatusCode::ACCEPTED)
            .await;
        let keyhaven_protocol::sessions::SignInOutcome::SmsRequired(challenge) = outcome else {
            panic!("2-step verification applies to social sign-in too");
        };
        let signed_in = server.verify(&challenge, &server.last_code(PHONE)).await;
        assert!(matches!(signed_in, keyhaven_protocol::sessions::ChallengeOutcome::SignedIn(g) if g.account_id == grant.account_id));
        server
            .expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), keyhaven_protocol::error::ErrorCode::InvalidGrant)
            .await;
    }

    async fn a_browser_sign_in_within_the_sms_cooldown_goes_to_the_code_step(engine: Engine) {
        let (server, provider) = server_with_providers(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        link(&server, &provider.issuer, "248289761001", &grant.account_id.to_string()).await;
        // A moment after the sign-up's code went out, a second computer signs in with Google.
        let code = app_code(&server, &provider).await;
        let outcome: keyhaven_protocol::sessions::SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), StatusCode::ACCEPTED)
            .await;
        let keyhaven_protocol::sessions::SignInOutcome::SmsRequired(challenge) = outcome else {
            panic!("{outcome:?}");
        };
        assert!(!challenge.sent && challenge.resend_after_seconds > 0, "{challenge:?}");
        server.clock.advance(std::time::Duration::from_secs(challenge.resend_after_seconds));
        let _: keyhaven_protocol::accounts::SmsChallenge = server
            .ok(reqwest::Method::POST, &format!("/v1/challenges/{}/resend", challenge.challenge_id), None, None::<()>, StatusCode::OK)
            .await;
        let signed_in = server.verify(&challenge, &server.last_code(PHONE)).await;
        assert!(matches!(signed_in, keyhaven_protocol::sessions::ChallengeOutcome::SignedIn(g) if g.account_id == grant.account_id));
    }

    async fn a_newer_statement_is_accepted_with_the_same_code(engine: Engine) {
        use keyhaven_protocol::error::ErrorCode;
        let (server, provider) = server_with_providers(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        link(&server, &provider.issuer, "248289761001", &grant.account_id.to_string()).await;
        let version = keyhaven_server::store::statements::publish(&server.state.db, "Statement v2", server.state.now())
            .await
            .unwrap();
        server.clock.advance(std::time::Duration::from_secs(61));
        let code = app_code(&server, &provider).await;
        let problem = server
            .expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), ErrorCode::StatementAcceptanceRequired)
            .await;
        assert_eq!(problem.statement_version, Some(version));
        let mut accepted = redeem_request(&code);
        accepted.accepted_statement_version = Some(version);
        let _: keyhaven_protocol::sessions::SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(&accepted), StatusCode::ACCEPTED)
            .await;
    }

    async fn a_new_person_signs_up_with_the_statement_and_a_phone_and_the_next_sign_in_reuses_the_account(engine: Engine) {
        use keyhaven_protocol::error::ErrorCode;
        use keyhaven_protocol::sessions::{ChallengeOutcome, SignInOutcome};
        let (server, provider) = server_with_providers(engine).await;
        let code = app_code(&server, &provider).await;
        let problem = server
            .expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), ErrorCode::SignUpRequired)
            .await;
        let version = problem.statement_version.expect("the statement to accept");
        let mut request = redeem_request(&code);
        request.accepted_statement_version = Some(version);
        request.phone = Some(PHONE.into());
        let outcome: SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(&request), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("the phone is confirmed first") };
        let ChallengeOutcome::SignedIn(first) = server.verify(&challenge, &server.last_code(PHONE)).await else {
            panic!("signed in after the code");
        };
        assert_eq!(first.email, "ada@example.com");
        server
            .expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(&request), ErrorCode::InvalidGrant)
            .await;

        server.clock.advance(std::time::Duration::from_secs(61));
        let again = app_code(&server, &provider).await;
        let outcome: SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&again)), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("2-step applies") };
        let ChallengeOutcome::SignedIn(second) = server.verify(&challenge, &server.last_code(PHONE)).await else {
            panic!("signed in");
        };
        assert_eq!(second.account_id, first.account_id, "the same account, not a new one");
        let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(&server.state.db).await.unwrap();
        assert_eq!(accounts, 1);

        // The account has no account password: a password sign-in cannot reach it.
        let sign_in = keyhaven_protocol::sessions::SignIn {
            email: "ada@example.com".into(),
            password: "".into(),
            device: device("x", "m9", "ada"),
            accepted_statement_version: None,
        };
        server.expect_code(reqwest::Method::POST, "/v1/sessions", None, Some(sign_in), ErrorCode::InvalidCredentials).await;
    }

    async fn an_identity_whose_email_has_an_account_is_linked_only_with_that_accounts_password(engine: Engine) {
        use keyhaven_protocol::error::ErrorCode;
        use keyhaven_protocol::sessions::{ChallengeOutcome, SignInOutcome};
        let (server, provider) = server_with_providers(engine).await;
        let owner = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        let code = app_code(&server, &provider).await;
        let mut request = redeem_request(&code);
        request.phone = Some("+447700900999".into());
        request.accepted_statement_version = Some(1);
        server.expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(&request), ErrorCode::LinkRequired).await;
        request.password = Some("not the account password".into());
        server.expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(&request), ErrorCode::InvalidCredentials).await;
        let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM social_identities").fetch_one(&server.state.db).await.unwrap();
        assert_eq!(linked, 0, "nothing is linked by the email match or a wrong password");

        server.clock.advance(std::time::Duration::from_secs(61));
        request.password = Some(PASSWORD.into());
        let outcome: SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(&request), StatusCode::ACCEPTED)
            .await;
        let SignInOutcome::SmsRequired(challenge) = outcome else { panic!("2-step applies") };
        let ChallengeOutcome::SignedIn(grant) = server.verify(&challenge, &server.last_code(PHONE)).await else {
            panic!("signed in");
        };
        assert_eq!(grant.account_id, owner.account_id);
        let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM social_identities").fetch_one(&server.state.db).await.unwrap();
        assert_eq!(linked, 1);
    }

    async fn identities_are_the_issuers_not_the_provider_names(engine: Engine) {
        use keyhaven_protocol::error::ErrorCode;
        let (server, provider) = server_with_providers(engine).await;
        let ada = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        // Ada linked subject 248289761001 of the real Google; "google" now names another issuer,
        // whose subject 248289761001 is someone else.
        link(&server, "https://accounts.google.com", "248289761001", &ada.account_id.to_string()).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        let to_app = sign_in_at_provider_as(&server, &provider, "248289761001", "mallory@example.com").await;
        let code = params(&to_app)["code"].clone();
        server
            .expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), ErrorCode::SignUpRequired)
            .await;
    }

    async fn identities_linked_before_issuers_were_recorded_get_their_providers_issuer(engine: Engine) {
        let (server, provider) = server_with_providers(engine).await;
        let ada = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        link(&server, "unresolved:google", "248289761001", &ada.account_id.to_string()).await;
        let resolved = keyhaven_server::store::social_identities::resolve_legacy(&server.state.db, "google", &provider.issuer)
            .await
            .unwrap();
        assert_eq!(resolved, 1);
        server.clock.advance(std::time::Duration::from_secs(61));
        let code = app_code(&server, &provider).await;
        let outcome: keyhaven_protocol::sessions::SignInOutcome = server
            .ok(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), StatusCode::ACCEPTED)
            .await;
        assert!(matches!(outcome, keyhaven_protocol::sessions::SignInOutcome::SmsRequired(_)), "{outcome:?}");
    }

    async fn a_code_is_bound_to_its_verifier_client_and_redirect_and_works_once_within_a_minute(engine: Engine) {
        use keyhaven_protocol::error::ErrorCode;
        let (server, provider) = server_with_providers(engine).await;
        let grant = server.account("ada@example.com", PHONE, &device("phone", "m0", "ada")).await;
        link(&server, &provider.issuer, "248289761001", &grant.account_id.to_string()).await;
        for tamper in ["verifier", "client", "redirect"] {
            let code = app_code(&server, &provider).await;
            let mut request = redeem_request(&code);
            match tamper {
                "verifier" => request.code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX".into(),
                "client" => request.client_id = "keyhaven-cli".into(),
                _ => request.redirect_uri = "http://127.0.0.1:51235/callback".into(),
            }
            server.expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(request), ErrorCode::InvalidGrant).await;
            server
                .expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), ErrorCode::InvalidGrant)
                .await;
        }
        let code = app_code(&server, &provider).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        server.expect_code(reqwest::Method::POST, "/v1/oauth/token", None, Some(redeem_request(&code)), ErrorCode::InvalidGrant).await;
    }
}
