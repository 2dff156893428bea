//! `/v1/accounts` and `/v1/account`: creating an account and managing the signed-in one.

use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_protocol::accounts::{
    AccountInfo, ChangePassword, ChangePhone, CreateAccount, DeleteAccount, SetTwoStep,
    SmsChallenge,
};
use keyhaven_protocol::error::{ErrorCode, Problem};
use uuid::Uuid;

use crate::codes::{self, Purpose};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, Json};
use crate::sms::mask_phone;
use crate::state::AppState;
use crate::store::accounts::{self, AccountRow, NewAccount};
use crate::store::{challenges, devices, statements, tokens, vault};
use crate::{clock, grants, passwords, validate};

/// Creates an account (inactive until the SMS code to its phone is confirmed).
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = CreateAccount,
    responses((status = 202, body = SmsChallenge), (status = 400, body = Problem),
              (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Json(request): Json<CreateAccount>,
) -> ApiResult<(StatusCode, Json<SmsChallenge>)> {
    let email = validate::email(&request.email)?;
    let phone = validate::phone(&request.phone)?;
    validate::password(request.password.expose(), &state.config.passwords)?;
    validate::device(&request.device)?;
    let statement = statements::current(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal("no statement is published"))?;
    if request.accepted_statement_version != statement.version {
        return Err(ApiError {
            statement_version: Some(statement.version),
            ..ApiError::new(
                ErrorCode::StatementNotAccepted,
                "Read and accept the current Web-Portal Statement to create an account.",
            )
        });
    }
    let now = state.now();
    if let Some(existing) = accounts::by_email(&state.db, &email).await? {
        // An unconfirmed sign-up can be started again at once by whoever knows its account
        // password (to correct the phone number), by anyone once its code has expired.
        let replaceable = existing.activated_at.is_none()
            && (now > existing.created_at + clock::ms(state.config.sms.code_ttl_seconds)
                || passwords::verify_off_thread(
                    &state.config.passwords,
                    request.password.expose(),
                    Some(existing.password_hash.clone()),
                )
                .await?);
        if !replaceable {
            return Err(ApiError::new(
                ErrorCode::EmailTaken,
                "An account with this email exists. Sign in instead.",
            ));
        }
        delete_everything(&state, &existing.id).await?;
    }
    let password_hash =
        passwords::hash_off_thread(&state.config.passwords, request.password.expose()).await?;
    let id = Uuid::new_v4().to_string();
    let inserted = accounts::insert(
        &state.db,
        NewAccount {
            id: &id,
            email: &email,
            password_hash: &password_hash,
            phone: &phone,
            statement_version: statement.version,
            now,
        },
    )
    .await;
    if let Err(error) = inserted {
        return Err(match error {
            sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::new(
                ErrorCode::EmailTaken,
                "An account with this email exists. Sign in instead.",
            ),
            other => other.into(),
        });
    }
    let purpose = Purpose::CreateAccount {
        device: request.device.clone(),
    };
    match codes::issue(&state, &id, &phone, purpose).await {
        Ok(challenge) => Ok((StatusCode::ACCEPTED, Json(challenge))),
        Err(error) => {
            delete_everything(&state, &id).await?;
            Err(error)
        }
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/account", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountInfo), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, authed: Authed) -> ApiResult<Json<AccountInfo>> {
    let account = load(&state, &authed).await?;
    Ok(Json(AccountInfo {
        email: account.email,
        phone_hint: mask_phone(&account.phone),
        two_step_enabled: account.two_step_enabled != 0,
        accepted_statement_version: account.statement_version,
        created_at: account.created_at,
    }))
}

/// Replaces the account password and signs every other device out.
#[utoipa::path(put, path = "/v1/account/password", tag = "accounts", security(("bearer" = [])),
    request_body = ChangePassword,
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<ChangePassword>,
) -> ApiResult<StatusCode> {
    let account = load(&state, &authed).await?;
    confirm_password(&state, &account, request.current_password.expose()).await?;
    validate::password(request.new_password.expose(), &state.config.passwords)?;
    let hash =
        passwords::hash_off_thread(&state.config.passwords, request.new_password.expose()).await?;
    let mut tx = state.db.begin().await?;
    accounts::set_password_hash(&mut *tx, &account.id, &hash).await?;
    for device_id in devices::others(&mut *tx, &account.id, &authed.device_id).await? {
        grants::revoke(&state, &mut tx, &account.id, &device_id).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a phone change: a code goes to the new number.
#[utoipa::path(post, path = "/v1/account/phone", tag = "accounts", security(("bearer" = [])),
    request_body = ChangePhone,
    responses((status = 202, body = SmsChallenge), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn change_phone(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<ChangePhone>,
) -> ApiResult<(StatusCode, Json<SmsChallenge>)> {
    let account = load(&state, &authed).await?;
    confirm_password(&state, &account, request.password.expose()).await?;
    let phone = validate::phone(&request.phone)?;
    let purpose = Purpose::ChangePhone {
        phone: phone.clone(),
    };
    let challenge = codes::issue(&state, &account.id, &phone, purpose).await?;
    Ok((StatusCode::ACCEPTED, Json(challenge)))
}

/// Turns 2-step verification on or off.
#[utoipa::path(put, path = "/v1/account/two-step", tag = "accounts", security(("bearer" = [])),
    request_body = SetTwoStep,
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn set_two_step(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<SetTwoStep>,
) -> ApiResult<StatusCode> {
    let account = load(&state, &authed).await?;
    confirm_password(&state, &account, request.password.expose()).await?;
    accounts::set_two_step(&state.db, &account.id, request.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the account, its devices and its vault.
#[utoipa::path(delete, path = "/v1/account", tag = "accounts", security(("bearer" = [])),
    request_body = DeleteAccount,
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<DeleteAccount>,
) -> ApiResult<StatusCode> {
    let account = load(&state, &authed).await?;
    confirm_password(&state, &account, request.password.expose()).await?;
    delete_everything(&state, &account.id).await?;
    tracing::info!(account_id = %account.id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}

async fn load(state: &AppState, authed: &Authed) -> ApiResult<AccountRow> {
    accounts::by_id(&state.db, &authed.account_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "The account no longer exists."))
}

/// Checks the password of an already signed-in account (a wrong one is not a sign-in failure).
async fn confirm_password(state: &AppState, account: &AccountRow, password: &str) -> ApiResult<()> {
    if passwords::verify_off_thread(
        &state.config.passwords,
        password,
        Some(account.password_hash.clone()),
    )
    .await?
    {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "The account password is not right.",
        ))
    }
}

pub(crate) async fn delete_everything(state: &AppState, account_id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    vault::delete_for_account(&mut tx, account_id).await?;
    tokens::delete_for_account(&mut tx, account_id).await?;
    devices::delete_for_account(&mut *tx, account_id).await?;
    challenges::delete_for_account(&mut *tx, account_id).await?;
    crate::store::social_identities::delete_for_account(&mut *tx, account_id).await?;
    accounts::delete(&mut *tx, account_id).await?;
    tx.commit().await?;
    Ok(())
}
