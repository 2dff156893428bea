//! `/v1/sessions`: sign in, refresh, sign out.

use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::sessions::{Refresh, SignIn, SignInOutcome, TokenPair};

use crate::codes::{self, Purpose};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, ClientIp, Json};
use crate::state::AppState;
use crate::store::accounts::AccountRow;
use crate::store::{accounts, statements};
use crate::{device_sessions, throttle, validate};

/// Signs in with email and account password: a session at once, or (2-step verification) an
/// SMS challenge. Unknown email and wrong password answer alike, in about the same time.
#[utoipa::path(post, path = "/v1/sessions", operation_id = "sign_in", tag = "sessions", request_body = SignIn,
    responses((status = 200, body = SignInOutcome), (status = 202, body = SignInOutcome),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 429, body = Problem)))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<SignIn>,
) -> ApiResult<(StatusCode, Json<SignInOutcome>)> {
    throttle::admit_ip(&state, ip).await?;
    validate::device(&request.device)?;
    validate::secret_input(
        request.password.expose(),
        keyhaven_protocol::limits::PASSWORD_MAX_CHARS,
        "account password",
    )?;
    let email = validate::email(&request.email).map_err(|_| invalid_credentials())?;
    let account = accounts::by_email(&state.db, &email).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let password_ok =
        throttle::check_password(&state, &email, request.password.expose(), stored).await?;
    let Some(account) = account.filter(|_| password_ok) else {
        return Err(invalid_credentials());
    };
    finish_sign_in(
        &state,
        &account,
        &request.device,
        request.accepted_statement_version,
    )
    .await
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCredentials,
        "The email or the account password is not right.",
    )
}

/// What every way of signing in shares once it knows the account: it must be active, have
/// accepted the current Web-Portal Statement (or accept it now), and pass the SMS step when
/// 2-step verification is on.
pub async fn finish_sign_in(
    state: &AppState,
    account: &AccountRow,
    device: &DeviceInfo,
    accepted_statement_version: Option<i64>,
) -> ApiResult<(StatusCode, Json<SignInOutcome>)> {
    check_active_and_statement(state, account, accepted_statement_version).await?;
    if account.two_step_enabled != 0 {
        let purpose = Purpose::SignIn {
            device: device.clone(),
        };
        let challenge = codes::issue(state, &account.id, &account.phone, purpose).await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(SignInOutcome::SmsRequired(challenge)),
        ));
    }
    let mut tx = state.db.begin().await?;
    let grant = device_sessions::sign_in_device(state, &mut tx, account, device).await?;
    tx.commit().await?;
    Ok((StatusCode::OK, Json(SignInOutcome::SignedIn(grant))))
}

/// The account must be active and have accepted the current Web-Portal Statement (or accept it
/// with this request).
pub async fn check_active_and_statement(
    state: &AppState,
    account: &AccountRow,
    accepted_statement_version: Option<i64>,
) -> ApiResult<()> {
    if account.activated_at.is_none() {
        return Err(ApiError::new(
            ErrorCode::AccountNotActive,
            "This account's phone number was never confirmed. Create the account again.",
        ));
    }
    let statement = statements::current(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal("no statement is published"))?;
    if account.statement_version < statement.version {
        if accepted_statement_version != Some(statement.version) {
            return Err(ApiError {
                statement_version: Some(statement.version),
                ..ApiError::new(
                    ErrorCode::StatementAcceptanceRequired,
                    "The Web-Portal Statement has changed. Read and accept it to go on.",
                )
            });
        }
        accounts::accept_statement(&state.db, &account.id, statement.version, state.now()).await?;
    }
    Ok(())
}

/// Trades a refresh token for a new pair (rotation); a replayed one revokes the device.
#[utoipa::path(post, path = "/v1/sessions/refresh", operation_id = "refresh_session", tag = "sessions", request_body = Refresh,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    Json(request): Json<Refresh>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(
        device_sessions::refresh(&state, request.refresh_token.expose()).await?,
    ))
}

/// Signs this device out: its tokens stop working and it leaves the device list.
#[utoipa::path(delete, path = "/v1/sessions/current", operation_id = "sign_out", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(State(state): State<AppState>, authed: Authed) -> ApiResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    device_sessions::revoke(&state, &mut tx, &authed.account_id, &authed.device_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
