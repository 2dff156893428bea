//! The loopback listener of a browser sign-in: the one callback it accepts, the page the browser
//! gets, and how it ends (wrong state, cancel at the provider, time limit). The whole flow with
//! a real OpenID provider, service and app is in tests/e2e/social-sign-in.test.mjs.

use std::collections::HashMap;
use std::time::Duration;

use keyhaven_client::browser_sign_in::{BrowserSignIn, BrowserSignInError, DESKTOP_CLIENT_ID};
use keyhaven_client::ClientError;

async fn started() -> (BrowserSignIn, HashMap<String, String>) {
    let sign_in = BrowserSignIn::start("http://127.0.0.1:8787", DESKTOP_CLIENT_ID, "google")
        .await
        .unwrap();
    let url = reqwest::Url::parse(sign_in.authorize_url()).unwrap();
    let params = url.query_pairs().into_owned().collect();
    (sign_in, params)
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn callback(params: &HashMap<String, String>, pairs: &[(&str, &str)]) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&params["redirect_uri"]).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url
}

fn browser_error(result: Result<impl Sized, ClientError>) -> BrowserSignInError {
    match result {
        Err(ClientError::BrowserSignIn(e)) => e,
        Err(other) => panic!("expected a browser sign-in error, got {other}"),
        Ok(_) => panic!("expected a browser sign-in error, got a code"),
    }
}

#[tokio::test]
async fn the_authorization_request_carries_pkce_s256_state_and_a_loopback_redirect() {
    let (_, params) = started().await;
    assert!(params["redirect_uri"].starts_with("http://127.0.0.1:"));
    assert!(params["redirect_uri"].ends_with("/callback"));
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], DESKTOP_CLIENT_ID);
    assert_eq!(params["provider"], "google");
    assert!(params["state"].len() >= 16);
    let (_, other) = started().await;
    assert_ne!(
        params["state"], other["state"],
        "state is random per sign-in"
    );
}

#[tokio::test]
async fn the_callback_with_this_state_yields_the_code_and_a_close_this_tab_page() {
    let (sign_in, params) = started().await;
    let waiting = tokio::spawn(sign_in.wait(Duration::from_secs(10)));
    let http = http();
    let stray = http
        .get(callback(&params, &[]).join("/favicon.ico").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stray.status(), 404, "other paths do not end the sign-in");
    let page = http
        .get(callback(
            &params,
            &[("code", "one-time"), ("state", &params["state"])],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("You can close this tab"));
    assert!(waiting.await.unwrap().is_ok());
    let closed = http
        .get(callback(
            &params,
            &[("code", "again"), ("state", &params["state"])],
        ))
        .send()
        .await;
    assert!(
        closed.is_err(),
        "the listener closed after its one callback"
    );
}

#[tokio::test]
async fn a_callback_with_another_state_ends_the_sign_in_without_a_code() {
    let (sign_in, params) = started().await;
    let waiting = tokio::spawn(sign_in.wait(Duration::from_secs(10)));
    let page = http()
        .get(callback(
            &params,
            &[("code", "forged"), ("state", "not-ours")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    assert_eq!(
        browser_error(waiting.await.unwrap()),
        BrowserSignInError::StateMismatch
    );
}

#[tokio::test]
async fn cancelling_at_the_provider_ends_as_cancelled() {
    let (sign_in, params) = started().await;
    let waiting = tokio::spawn(sign_in.wait(Duration::from_secs(10)));
    let page = http()
        .get(callback(
            &params,
            &[("error", "access_denied"), ("state", &params["state"])],
        ))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Sign-in cancelled"));
    assert_eq!(
        browser_error(waiting.await.unwrap()),
        BrowserSignInError::Cancelled
    );
}

#[tokio::test]
async fn nobody_coming_back_ends_at_the_time_limit_and_closes_the_listener() {
    let (sign_in, params) = started().await;
    let error = browser_error(sign_in.wait(Duration::from_millis(200)).await);
    assert!(matches!(error, BrowserSignInError::TimedOut(_)));
    assert!(http().get(callback(&params, &[])).send().await.is_err());
}
