//! Suite sign-in (DESIGN §4): a signed-in device publishes a suite token for the other Keyhaven
//! apps of its computer (`POST /v1/sessions/suite-token`, withdrawn with `DELETE`); one of them
//! trades it for its own device session (`POST /v1/sessions/suite`) without the account
//! password or an SMS code — the token is the proof that this OS user is signed in here. It works
//! only from the publishing computer (machine hash), until it expires (the refresh token
//! lifetime), and only while the publishing device is signed in.

use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::sessions::{SessionGrant, SuiteCheck, SuiteSignIn, SuiteToken};

use crate::clock::ms;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, ClientIp, Json};
use crate::routes::sessions::check_active_and_statement;
use crate::secrets::{new_token, token_hash};
use crate::state::AppState;
use crate::store::suite_tokens::{self, SuiteTokenRow};
use crate::store::{accounts, devices};
use crate::{device_sessions, throttle, validate};

/// Publishes a suite token for this device (replacing its earlier one).
#[utoipa::path(post, path = "/v1/sessions/suite-token", operation_id = "publish_suite_token", tag = "sessions", security(("bearer" = [])),
    responses((status = 201, body = SuiteToken), (status = 401, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    authed: Authed,
) -> ApiResult<(StatusCode, Json<SuiteToken>)> {
    let lifetime = state.config.sessions.refresh_token_seconds;
    let token = new_token();
    // Read before the transaction (a device's machine never changes): on SQLite, a transaction
    // that reads first and writes later cannot wait for another writer, and fails as locked.
    let machine_hash = devices::machine_hash(&state.db, &authed.device_id)
        .await?
        .ok_or_else(|| ApiError::internal("the signed-in device has no record"))?;
    let mut tx = state.db.begin().await?;
    suite_tokens::replace(
        &mut tx,
        &token_hash(&token),
        &authed.device_id,
        &authed.account_id,
        &machine_hash,
        state.now() + ms(lifetime),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SuiteToken {
            suite_token: token.as_str().into(),
            expires_in_seconds: lifetime,
        }),
    ))
}

/// Withdraws this device's suite token.
#[utoipa::path(delete, path = "/v1/sessions/suite-token", operation_id = "withdraw_suite_token", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn withdraw(State(state): State<AppState>, authed: Authed) -> ApiResult<StatusCode> {
    suite_tokens::delete_for_device(&state.db, &authed.device_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a suite token would sign this computer in now.
#[utoipa::path(post, path = "/v1/sessions/suite/check", operation_id = "check_suite_token", tag = "sessions", request_body = SuiteCheck,
    responses((status = 204), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn check(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<SuiteCheck>,
) -> ApiResult<StatusCode> {
    throttle::admit_ip(&state, ip).await?;
    validate::secret_input(
        request.suite_token.expose(),
        keyhaven_protocol::limits::TOKEN_MAX_CHARS,
        "suite token",
    )?;
    if !validate::is_sha256_hex(&request.machine_hash) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "machine_hash is a SHA-256 digest in hex.",
        ));
    }
    live_token(&state, request.suite_token.expose(), &request.machine_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs a device in with a suite token: its own session; the publishing device stays signed in.
#[utoipa::path(post, path = "/v1/sessions/suite", operation_id = "suite_sign_in", tag = "sessions", request_body = SuiteSignIn,
    responses((status = 200, body = SessionGrant), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 429, body = Problem)))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<SuiteSignIn>,
) -> ApiResult<Json<SessionGrant>> {
    throttle::admit_ip(&state, ip).await?;
    validate::device(&request.device)?;
    validate::secret_input(
        request.suite_token.expose(),
        keyhaven_protocol::limits::TOKEN_MAX_CHARS,
        "suite token",
    )?;
    let row = live_token(
        &state,
        request.suite_token.expose(),
        &request.device.machine_hash,
    )
    .await?;
    let account = accounts::by_id(&state.db, &row.account_id)
        .await?
        .ok_or_else(invalid)?;
    check_active_and_statement(&state, &account, request.accepted_statement_version).await?;
    let mut tx = state.db.begin().await?;
    let grant = device_sessions::sign_in_device(&state, &mut tx, &account, &request.device).await?;
    tx.commit().await?;
    Ok(Json(grant))
}

async fn live_token(state: &AppState, token: &str, machine_hash: &str) -> ApiResult<SuiteTokenRow> {
    suite_tokens::live(&state.db, &token_hash(token), state.now())
        .await?
        .filter(|row| row.machine_hash == machine_hash)
        .ok_or_else(invalid)
}

fn invalid() -> ApiError {
    ApiError::new(
        ErrorCode::SuiteSessionInvalid,
        "This sign-in of another Keyhaven app has ended (signed out, expired, or from another computer). Sign in another way.",
    )
}
