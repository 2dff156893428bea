//! The browser side of social sign-in (RFC 8252): `GET /oauth/authorize` takes the desktop
//! app's request and sends the browser on to the chosen provider; `/oauth/callback/{provider}`
//! (GET, or POST for `form_post` providers) takes the provider's answer, exchanges its code for
//! an ID token, verifies it, and sends the browser back to the app's loopback listener with a
//! one-time code (60 s, hashed, bound to the app's client, redirect URI and PKCE challenge),
//! which the app redeems at `POST /v1/oauth/token` ([`super::oauth_token`]).
//! Nothing is redirected to a URI that failed the loopback check; once it passed, refusals go
//! back to the app as `error=…&state=…`, as RFC 6749 §4.1.2.1 asks.

use axum::extract::{Form, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keyhaven_protocol::error::ErrorCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::clock::ms;
use crate::config::ResponseMode;
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::secrets::{new_token, token_hash};
use crate::social::loopback::{check_challenge, check_redirect_uri};
use crate::state::AppState;
use crate::store::oauth_codes::{self, OAuthCodeRow};
use crate::store::oauth_requests::{self, OAuthRequestRow};

/// How long the app's one-time code is valid.
const APP_CODE_SECONDS: u64 = 60;

/// The longest `state` an app may send.
const MAX_STATE_LEN: usize = 512;

/// The app's authorization request, as query parameters.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// Which provider to sign in with: a name from the configuration.
    pub provider: Option<String>,
}

/// Validates the app's request, records it and redirects the browser to the provider.
pub async fn authorize(
    State(state): State<AppState>,
    Query(query): Query<AuthorizeQuery>,
) -> Result<Response, ApiError> {
    let client_id = query.client_id.as_deref().unwrap_or_default();
    if !state.config.social.clients.iter().any(|c| c == client_id) {
        return Err(invalid_request("unknown client_id"));
    }
    let redirect_uri = query.redirect_uri.as_deref().unwrap_or_default();
    check_redirect_uri(redirect_uri).map_err(|e| invalid_request(&e.to_string()))?;
    let app_state = query.state.as_deref().unwrap_or_default();
    if !crate::validate::text_ok(app_state, 1, MAX_STATE_LEN) {
        return Err(invalid_request(
            "state is required (at most 512 characters)",
        ));
    }
    let back =
        |error: &str, description: &str| back_to_app(redirect_uri, app_state, error, description);
    if query.response_type.as_deref() != Some("code") {
        return Ok(back(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let challenge = query.code_challenge.as_deref().unwrap_or_default();
    if let Err(error) = check_challenge(query.code_challenge_method.as_deref(), challenge) {
        return Ok(back("invalid_request", &error.to_string()));
    }
    let name = query.provider.as_deref().unwrap_or_default();
    let Some(provider) = state.providers.get(name) else {
        return Ok(back("invalid_request", "unknown provider"));
    };
    let endpoints = match provider.endpoints().await {
        Ok(endpoints) => endpoints,
        Err(error) => {
            tracing::warn!(provider = name, %error, "sign-in provider unavailable");
            let (code, words) = error.for_the_app();
            return Ok(back(code, &words));
        }
    };

    let now = state.now();
    let request = OAuthRequestRow {
        id: new_token().to_string(),
        provider: name.to_owned(),
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        app_state: app_state.to_owned(),
        code_challenge: challenge.to_owned(),
        nonce: new_token().to_string(),
        provider_verifier: new_token().to_string(),
        expires_at: now + ms(state.config.social.request_ttl_seconds),
    };
    oauth_requests::insert(&state.db, &request, now).await?;

    let provider_challenge =
        URL_SAFE_NO_PAD.encode(Sha256::digest(request.provider_verifier.as_bytes()));
    let callback = format!("{}/oauth/callback/{name}", state.config.public_url());
    let mut to_provider = reqwest::Url::parse(&endpoints.authorization_endpoint)
        .map_err(|_| ApiError::internal("the provider's authorization endpoint is not a URL"))?;
    {
        let mut pairs = to_provider.query_pairs_mut();
        pairs
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.config.client_id)
            .append_pair("redirect_uri", &callback)
            .append_pair("scope", "openid email")
            .append_pair("state", &request.id)
            .append_pair("nonce", &request.nonce)
            .append_pair("code_challenge", &provider_challenge)
            .append_pair("code_challenge_method", "S256");
        if provider.config.response_mode == ResponseMode::FormPost {
            pairs.append_pair("response_mode", "form_post");
        }
    }
    Ok(redirect(to_provider.as_str()))
}

/// The provider's answer: a code, or an error (the person cancelled, the provider failed).
#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The provider's answer in the query string.
pub async fn callback_get(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(params): Query<CallbackParams>,
) -> Result<Response, ApiError> {
    callback(state, provider, params).await
}

/// The provider's answer posted by the browser (`response_mode=form_post`, Apple).
pub async fn callback_post(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Form(params): Form<CallbackParams>,
) -> Result<Response, ApiError> {
    callback(state, provider, params).await
}

async fn callback(
    state: AppState,
    name: String,
    params: CallbackParams,
) -> Result<Response, ApiError> {
    let now = state.now();
    let request = match params.state.as_deref() {
        Some(id) if crate::validate::is_service_id(id) => {
            oauth_requests::take(&state.db, id, &name, now).await?
        }
        _ => None,
    };
    let Some(request) = request else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "This sign-in has expired or was already used. Start again from Keyhaven.",
        ));
    };
    let back = |error: &str, description: &str| {
        back_to_app(
            &request.redirect_uri,
            &request.app_state,
            error,
            description,
        )
    };
    if let Some(error) = params.error.as_deref() {
        let error = if error == "access_denied" {
            "access_denied"
        } else {
            "server_error"
        };
        return Ok(back(error, "the sign-in provider did not sign you in"));
    }
    let (Some(code), Some(provider)) = (params.code.as_deref(), state.providers.get(&name)) else {
        return Ok(back("invalid_request", "the sign-in provider sent no code"));
    };
    let callback = format!("{}/oauth/callback/{name}", state.config.public_url());
    let identity = match provider
        .exchange_code(code, &callback, &request.provider_verifier)
        .await
    {
        Ok(id_token) => {
            provider
                .verify_id_token(&id_token, &request.nonce, now)
                .await
        }
        Err(error) => Err(error),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(error) => {
            // `access_denied` is kept for the person declining; this is the provider's failure.
            tracing::warn!(provider = %name, %error, "social sign-in refused");
            let (code, words) = error.for_the_app();
            return Ok(back(code, &words));
        }
    };
    let app_code = new_token();
    oauth_codes::insert(
        &state.db,
        &OAuthCodeRow {
            code_hash: token_hash(&app_code),
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            provider: name.clone(),
            issuer: identity.issuer,
            subject: identity.subject,
            email: identity.email,
            email_verified: i64::from(identity.email_verified),
            expires_at: now + ms(APP_CODE_SECONDS),
        },
    )
    .await?;
    let mut to_app = reqwest::Url::parse(&request.redirect_uri)
        .map_err(|_| ApiError::internal("a stored redirect URI is not a URL"))?;
    to_app
        .query_pairs_mut()
        .append_pair("code", &app_code)
        .append_pair("state", &request.app_state);
    Ok(redirect(to_app.as_str()))
}

fn invalid_request(detail: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!("Invalid sign-in request: {detail}."),
    )
}

/// Sends the browser back to the app's loopback listener with an OAuth error.
fn back_to_app(redirect_uri: &str, app_state: &str, error: &str, description: &str) -> Response {
    match reqwest::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("error", error)
                .append_pair("error_description", description)
                .append_pair("state", app_state);
            redirect(url.as_str())
        }
        Err(_) => invalid_request("redirect_uri").into_response(),
    }
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (LOCATION, location.to_owned()),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}
