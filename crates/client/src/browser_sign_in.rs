//! Signing in with Google, Facebook or Apple from a desktop program (RFC 8252): the program
//! listens on `http://127.0.0.1:<free port>/callback`, sends the system browser to the service's
//! `/oauth/authorize` with PKCE S256 and a random `state`, and waits for the one callback that
//! brings the service's one-time code back. The code and the PKCE verifier are then redeemed at
//! `POST /v1/oauth/token` ([`BrowserCode::redeem`]). No login page is ever embedded.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyhaven_protocol::accounts::{LinkProvider, SignInMethods};
use keyhaven_protocol::secret::Secret;
use keyhaven_protocol::sessions::{RedeemSocialCode, SignInOutcome};
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl};
use tokio::sync::oneshot;

use crate::device::this_device;
use crate::{ApiClient, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

/// The desktop app's client id at the service.
pub const DESKTOP_CLIENT_ID: &str = "keyhaven-desktop";
/// The `keyhaven` CLI's client id at the service.
pub const CLI_CLIENT_ID: &str = "keyhaven-cli";
/// The sign-in providers the programs offer, by the names the service is configured with.
pub const PROVIDERS: [&str; 3] = ["google", "facebook", "apple"];
/// How long the loopback listener waits for the browser to come back.
pub const WAIT_LIMIT: Duration = Duration::from_secs(5 * 60);

/// The listener's only path; the service accepts no other (RFC 8252 §7.3: only the port varies).
const CALLBACK_PATH: &str = "/callback";
/// How long the browser gets to receive its "you can close this tab" page after the callback.
const PAGE_FLUSH: Duration = Duration::from_secs(2);

/// Why a browser sign-in ended without a code. Each ends the attempt; nothing is signed in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowserSignInError {
    /// The person cancelled at the provider (or refused to share their email).
    #[error("the sign-in was cancelled in the browser")]
    Cancelled,
    /// The provider or the service could not complete the sign-in.
    #[error("the sign-in provider could not sign you in: {0}")]
    ProviderFailed(String),
    /// A callback arrived that does not belong to this sign-in (a forged or stale link).
    #[error("the browser came back with a sign-in this program did not start")]
    StateMismatch,
    /// Nobody came back within [`WAIT_LIMIT`] (the tab was closed, the browser never opened).
    #[error("the browser did not come back within {0} minutes")]
    TimedOut(u64),
    /// The program stopped waiting (the person pressed Cancel).
    #[error("the sign-in was stopped")]
    Stopped,
    /// No loopback port could be opened.
    #[error("cannot listen for the browser on this computer: {0}")]
    Listener(String),
}

impl BrowserSignInError {
    /// A stable code for `{ code, message }`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Cancelled => "browser_sign_in_cancelled",
            Self::ProviderFailed(_) => "browser_sign_in_failed",
            Self::StateMismatch => "browser_sign_in_state_mismatch",
            Self::TimedOut(_) => "browser_sign_in_timed_out",
            Self::Stopped => "browser_sign_in_stopped",
            Self::Listener(_) => "browser_sign_in_listener",
        }
    }
}

/// A browser sign-in that is listening for its callback; open [`BrowserSignIn::authorize_url`]
/// in the browser, then [`BrowserSignIn::wait`].
pub struct BrowserSignIn {
    listener: tokio::net::TcpListener,
    authorize_url: String,
    client_id: String,
    redirect_uri: String,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
}

/// The one-time code a browser sign-in brought back, with what redeeming it needs. It can be
/// redeemed again with more details while the service keeps it (`sign_up_required`,
/// `link_required`). Serializable, so that a program can keep it between steps; `Debug` shows
/// no secret.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct BrowserCode {
    client_id: String,
    redirect_uri: String,
    code: Secret,
    verifier: Secret,
}

/// What the person adds when the service asks for more than the code.
#[derive(Default, Clone)]
pub struct RedeemDetails {
    /// The Web-Portal Statement version they accepted.
    pub accepted_statement_version: Option<i64>,
    /// Signing up: their mobile number.
    pub phone: Option<String>,
    /// Linking to an existing account: that account's password.
    pub password: Option<Secret>,
}

impl BrowserSignIn {
    /// Opens the loopback listener and builds the authorization URL for `provider`.
    pub async fn start(service_url: &str, client_id: &str, provider: &str) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| BrowserSignInError::Listener(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| BrowserSignInError::Listener(e.to_string()))?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
        let authorize = format!("{}/oauth/authorize", service_url.trim_end_matches('/'));
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_auth_uri(
                AuthUrl::new(authorize)
                    .map_err(|e| ClientError::Protocol(format!("service URL: {e}")))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.clone())
                    .map_err(|e| ClientError::Protocol(format!("redirect URI: {e}")))?,
            );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_extra_param("provider", provider)
            .url();
        Ok(Self {
            listener,
            authorize_url: url.to_string(),
            client_id: client_id.to_owned(),
            redirect_uri,
            state,
            verifier,
        })
    }

    /// Where to send the browser.
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// Waits up to `limit` for the browser's callback. The first request to the callback path
    /// decides: a code with this sign-in's `state` succeeds, anything else ends the attempt.
    /// The browser is shown a page saying which, and the listener closes.
    pub async fn wait(self, limit: Duration) -> Result<BrowserCode> {
        let (outcome_tx, outcome_rx) = oneshot::channel();
        let callback = Arc::new(Callback {
            expected_state: self.state.secret().clone(),
            outcome: Mutex::new(Some(outcome_tx)),
        });
        let router = Router::new()
            .route(CALLBACK_PATH, get(take_callback))
            .with_state(callback);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(self.listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
        });
        // Dropping this (Cancel in the program) stops the listener too.
        let stop = StopOnDrop(Some(stop_tx));
        let outcome = tokio::time::timeout(limit, outcome_rx).await;
        drop(stop);
        let _ = tokio::time::timeout(PAGE_FLUSH, server).await;
        let code = match outcome {
            Ok(Ok(result)) => result?,
            Ok(Err(_)) => return Err(BrowserSignInError::Stopped.into()),
            Err(_) => return Err(BrowserSignInError::TimedOut(limit.as_secs() / 60).into()),
        };
        Ok(BrowserCode {
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            code: Secret::from(code.as_str()),
            verifier: Secret::from(self.verifier.secret().as_str()),
        })
    }
}

impl BrowserCode {
    /// Redeems the code for this device's session (or learns what is still needed).
    pub async fn redeem(
        &self,
        api: &ApiClient,
        platform: &str,
        details: RedeemDetails,
    ) -> Result<SignInOutcome> {
        api.redeem_social_code(&RedeemSocialCode {
            client_id: self.client_id.clone(),
            code: self.code.clone(),
            code_verifier: self.verifier.clone(),
            redirect_uri: self.redirect_uri.clone(),
            device: this_device(platform),
            accepted_statement_version: details.accepted_statement_version,
            phone: details.phone,
            password: details.password,
        })
        .await
    }

    /// Links the provider identity behind the code to the account `access_token` signs in to.
    pub async fn link(&self, api: &ApiClient, access_token: &Secret) -> Result<SignInMethods> {
        api.link_sign_in_method(
            access_token,
            &LinkProvider {
                client_id: self.client_id.clone(),
                code: self.code.clone(),
                code_verifier: self.verifier.clone(),
                redirect_uri: self.redirect_uri.clone(),
            },
        )
        .await
    }
}

struct StopOnDrop(Option<oneshot::Sender<()>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

type Outcome = std::result::Result<String, BrowserSignInError>;

/// The listener's state: the `state` to expect, and where the first callback's outcome goes.
struct Callback {
    expected_state: String,
    outcome: Mutex<Option<oneshot::Sender<Outcome>>>,
}

async fn take_callback(
    State(callback): State<Arc<Callback>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(sender) = callback
        .outcome
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return page(
            StatusCode::GONE,
            "This sign-in is over",
            "Go back to Keyhaven and start again if you need to.",
        );
    };
    let outcome = read_callback(&callback.expected_state, &params);
    let response = match &outcome {
        Ok(_) => page(
            StatusCode::OK,
            "You can close this tab",
            "Keyhaven received your sign-in. Go back to the app to finish.",
        ),
        Err(BrowserSignInError::Cancelled) => page(
            StatusCode::OK,
            "Sign-in cancelled",
            "You can close this tab. Nothing was signed in.",
        ),
        Err(_) => page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "You can close this tab; Keyhaven shows what went wrong.",
        ),
    };
    let _ = sender.send(outcome);
    response
}

/// Reads the callback's parameters: `state` must be this sign-in's, then a code or an error.
fn read_callback(expected_state: &str, params: &HashMap<String, String>) -> Outcome {
    let state_matches = params.get("state").is_some_and(|s| {
        use sha2::Digest as _;
        // Compared as hashes so the comparison's time says nothing about the expected value.
        sha2::Sha256::digest(s.as_bytes()) == sha2::Sha256::digest(expected_state.as_bytes())
    });
    if !state_matches {
        return Err(BrowserSignInError::StateMismatch);
    }
    if let Some(error) = params.get("error") {
        return Err(if error == "access_denied" {
            BrowserSignInError::Cancelled
        } else {
            let description = params
                .get("error_description")
                .map(String::as_str)
                .unwrap_or(error);
            BrowserSignInError::ProviderFailed(description.chars().take(200).collect())
        });
    }
    match params.get("code") {
        Some(code) if !code.is_empty() => Ok(code.clone()),
        _ => Err(BrowserSignInError::ProviderFailed(
            "the service sent no code".into(),
        )),
    }
}

/// A self-contained page for the browser tab: no scripts, no outside resources, no referrer.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — Keyhaven</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:5rem auto;padding:0 1rem;color:#1c2330}}\
         h1{{font-size:1.4rem}}</style></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_callback_with_another_state_is_refused_even_with_a_code() {
        let outcome = read_callback("expected", &params(&[("state", "other"), ("code", "c")]));
        assert_eq!(outcome, Err(BrowserSignInError::StateMismatch));
        let outcome = read_callback("expected", &params(&[("code", "c")]));
        assert_eq!(outcome, Err(BrowserSignInError::StateMismatch));
    }

    #[test]
    fn the_service_errors_become_cancelled_or_failed() {
        let cancelled = params(&[
            ("state", "s"),
            ("error", "access_denied"),
            (
                "error_description",
                "the sign-in provider did not sign you in",
            ),
        ]);
        assert_eq!(
            read_callback("s", &cancelled),
            Err(BrowserSignInError::Cancelled)
        );
        let refused = params(&[
            ("state", "s"),
            ("error", "server_error"),
            ("error_description", "the ID token has expired"),
        ]);
        assert_eq!(
            read_callback("s", &refused),
            Err(BrowserSignInError::ProviderFailed(
                "the ID token has expired".into()
            ))
        );
        let down = params(&[("state", "s"), ("error", "temporarily_unavailable")]);
        assert!(matches!(
            read_callback("s", &down),
            Err(BrowserSignInError::ProviderFailed(_))
        ));
        assert_eq!(
            read_callback("s", &params(&[("state", "s"), ("code", "abc")])),
            Ok("abc".into())
        );
    }
}
