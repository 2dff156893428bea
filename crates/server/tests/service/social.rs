//! Social sign-in, the app's side of the browser leg: `GET /oauth/authorize` checks the native
//! app's request (RFC 8252, PKCE S256) and sends the browser to the configured provider.

use std::collections::HashMap;

use axum::routing::get;
use axum::{Json, Router};
use keyhaven_server::config::{ProviderConfig, ResponseMode};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::on_both_engines;

/// RFC 7636 appendix B.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:51234/callback";

/// A provider on loopback that publishes its discovery document (the browser never gets there).
async fn provider_stub() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
    });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let discovery = discovery.clone();
                async move { Json(discovery) }
            }),
        )
        .route("/jwks", get(|| async { Json(json!({ "keys": [] })) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

async fn server_with_providers(engine: Engine) -> (TestServer, String) {
    let issuer = provider_stub().await;
    let mut config = test_config();
    config.social.public_url = "https://account.keyhaven.test".into();
    for (name, mode) in [
        ("google", ResponseMode::Query),
        ("apple", ResponseMode::FormPost),
    ] {
        config.social.providers.insert(
            name.into(),
            ProviderConfig {
                issuer: issuer.clone(),
                client_id: format!("{name}-client"),
                client_secret: Some("provider secret".into()),
                response_mode: mode,
            },
        );
    }
    (TestServer::start_with(engine, config, None).await, issuer)
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

fn params(url: &reqwest::Url) -> HashMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

on_both_engines! {
    async fn a_valid_request_sends_the_browser_to_the_provider_with_its_own_state_nonce_and_pkce(engine: Engine) {
        let (server, issuer) = server_with_providers(engine).await;
        let (status, location) = authorize(&server, &good("google")).await;
        assert_eq!(status, StatusCode::FOUND);
        let location = location.unwrap();
        assert_eq!(format!("{}://{}{}", location.scheme(), location.authority(), location.path()), format!("{issuer}/authorize"));
        let sent = params(&location);
        assert_eq!(sent["client_id"], "google-client");
        assert_eq!(sent["redirect_uri"], "https://account.keyhaven.test/oauth/callback/google");
        assert_eq!(sent["scope"], "openid email");
        assert_eq!(sent["code_challenge_method"], "S256");
        assert!(!sent.contains_key("response_mode"));
        assert_ne!(sent["state"], "app-state-123", "the provider never sees the app's state");
        assert_ne!(sent["code_challenge"], CHALLENGE, "nor the app's PKCE challenge");
        assert!(sent["state"].len() >= 43 && sent["nonce"].len() >= 43);

        let stored = keyhaven_server::store::oauth_requests::take(&server.state.db, &sent["state"], server.clock.now_ms())
            .await
            .unwrap()
            .expect("the request is recorded under the provider state");
        assert_eq!((stored.app_state.as_str(), stored.redirect_uri.as_str(), stored.code_challenge.as_str()), ("app-state-123", REDIRECT, CHALLENGE));
        assert_eq!(stored.nonce, sent["nonce"]);
        assert!(keyhaven_server::store::oauth_requests::take(&server.state.db, &sent["state"], server.clock.now_ms())
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
        assert!(keyhaven_server::store::oauth_requests::take(&server.state.db, &state, server.clock.now_ms())
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

#[tokio::test]
async fn an_unreachable_provider_is_reported_to_the_app() {
    let mut config = test_config();
    config.social.providers.insert(
        "google".into(),
        ProviderConfig {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "google-client".into(),
            client_secret: None,
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
