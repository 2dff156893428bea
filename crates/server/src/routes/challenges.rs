//! `/v1/challenges/{id}`: confirming an SMS code and asking for a new one.

use axum::extract::State;
use keyhaven_protocol::accounts::SmsChallenge;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::sessions::{ChallengeOutcome, VerifyCode};

use crate::codes::{self, Purpose};
use crate::device_sessions;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::store::{accounts, social_identities};

/// Confirms the code: finishes account creation or sign-in (a session) or a phone change.
#[utoipa::path(post, path = "/v1/challenges/{challenge_id}/verify", operation_id = "verify_challenge", tag = "sessions",
    params(("challenge_id" = String, Path)), request_body = VerifyCode,
    responses((status = 200, body = ChallengeOutcome), (status = 400, body = Problem),
              (status = 404, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Path(challenge_id): Path<String>,
    Json(request): Json<VerifyCode>,
) -> ApiResult<Json<ChallengeOutcome>> {
    let confirmed = codes::confirm(&state, &challenge_id, request.code.expose()).await?;
    let mut tx = confirmed.tx;
    let account = accounts::by_id(&mut *tx, &confirmed.account_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ChallengeNotFound, "The account is gone."))?;
    let outcome = match &confirmed.purpose {
        Purpose::CreateAccount { device } => {
            accounts::activate(&mut *tx, &account.id, state.now()).await?;
            let grant = device_sessions::sign_in_device(&state, &mut tx, &account, device).await?;
            ChallengeOutcome::SignedIn(grant)
        }
        Purpose::SignIn { device } => {
            let grant = device_sessions::sign_in_device(&state, &mut tx, &account, device).await?;
            ChallengeOutcome::SignedIn(grant)
        }
        Purpose::ChangePhone { phone } => {
            accounts::set_phone(&mut *tx, &account.id, phone).await?;
            ChallengeOutcome::PhoneChanged
        }
        Purpose::LinkIdentity { identity, device } => {
            let row = identity.clone().at(state.now());
            if !social_identities::link_to(&mut tx, &row, &account.id).await? {
                return Err(crate::routes::oauth_token::identity_in_use());
            }
            let grant = device_sessions::sign_in_device(&state, &mut tx, &account, device).await?;
            ChallengeOutcome::SignedIn(grant)
        }
        Purpose::AddPassword { hash } => {
            if !accounts::add_password_hash(&mut *tx, &account.id, hash).await? {
                return Err(crate::routes::accounts::password_exists());
            }
            ChallengeOutcome::PasswordAdded
        }
    };
    tx.commit().await?;
    Ok(Json(outcome))
}

/// Sends a new code for a pending challenge (after the cooldown, within the hourly limits).
#[utoipa::path(post, path = "/v1/challenges/{challenge_id}/resend", operation_id = "resend_challenge", tag = "sessions",
    params(("challenge_id" = String, Path)),
    responses((status = 200, body = SmsChallenge), (status = 404, body = Problem),
              (status = 429, body = Problem)))]
pub async fn resend(
    State(state): State<AppState>,
    Path(challenge_id): Path<String>,
) -> ApiResult<Json<SmsChallenge>> {
    Ok(Json(codes::resend(&state, &challenge_id).await?))
}
