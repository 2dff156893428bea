//! `/v1/accounts` and `/v1/account`: creating an account and managing the signed-in one.

use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_protocol::accounts::{
    AccountInfo, AddPassword, ChangePassword, ChangePhone, CreateAccount, DeleteAccount,
    SetTwoStep, SmsChallenge,
};
use keyhaven_protocol::error::{ErrorCode, Problem};
use uuid::Uuid;

use crate::codes::{self, Purpose};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, ClientIp, Json};
use crate::sms::mask_phone;
use crate::state::AppState;
use crate::store::accounts::{self, AccountRow, NewAccount};
use crate::store::{challenges, devices, statements, tokens, vault};
use crate::{clock, device_sessions, throttle, validate};

/// Creates an account (inactive until the SMS code to its phone is confirmed). The same
/// sign-up sent again while its code is valid answers with the same challenge and sends no
/// second SMS.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", operation_id = "create_account",
    request_body = CreateAccount,
    responses((status = 202, body = SmsChallenge), (status = 400, body = Problem),
              (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<CreateAccount>,
) -> ApiResult<(StatusCode, Json<SmsChallenge>)> {
    let email = validate::email(&request.email)?;
    let phone = validate::phone(&request.phone)?;
    validate::password(request.password.expose(), state.hasher.config())?;
    validate::device(&request.device)?;
    if let Some(id) = &request.replaces_challenge_id {
        validate::secret_input(id, 64, "challenge id")?;
    }
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
    throttle::admit_sign_up(&state, ip, &email).await?;
    let now = state.now();
    if let Some(existing) = accounts::by_email(&state.db, &email).await? {
        match earlier_sign_up(&state, &existing, &request, &phone, now).await? {
            EarlierSignUp::Retried(challenge) => {
                return Ok((StatusCode::ACCEPTED, Json(challenge)))
            }
            EarlierSignUp::Replace => delete_everything(&state, &existing.id).await?,
        }
    }
    let password_hash = state.hasher.hash(request.password.expose()).await?;
    let id = Uuid::new_v4().to_string();
    let purpose = Purpose::CreateAccount {
        device: request.device.clone(),
    };
    // The account and its challenge appear together: a parallel copy of this request finds
    // both, or neither.
    let mut tx = state.db.begin().await?;
    let inserted = accounts::insert(
        &mut *tx,
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
    match inserted {
        Ok(()) => {}
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            drop(tx);
            // The same sign-up, sent in parallel, won the insert: it gets that one's challenge.
            let existing = accounts::by_email(&state.db, &email)
                .await?
                .ok_or_else(email_taken)?;
            return match earlier_sign_up(&state, &existing, &request, &phone, now).await? {
                EarlierSignUp::Retried(challenge) => Ok((StatusCode::ACCEPTED, Json(challenge))),
                EarlierSignUp::Replace => Err(email_taken()),
            };
        }
        Err(other) => return Err(other.into()),
    }
    let issued = codes::issue_in(&state, &mut tx, &id, &phone, purpose).await?;
    tx.commit().await?;
    match issued.deliver(&state).await {
        Ok(challenge) => Ok((StatusCode::ACCEPTED, Json(challenge))),
        Err(error) => {
            delete_everything(&state, &id).await?;
            Err(error)
        }
    }
}

/// What a sign-up may do with an account that has its email already.
enum EarlierSignUp {
    /// The same sign-up again: its challenge, unchanged.
    Retried(SmsChallenge),
    /// An unconfirmed sign-up that may start over.
    Replace,
}

/// An active account is never touched. An unconfirmed one whose code expired may be started
/// over by anyone. Within its code's validity only its own account password opens it, tried
/// under the sign-in limits: the same number gets the same challenge back, and another number
/// needs the pending challenge's id as well (only the screen that started it knows it).
async fn earlier_sign_up(
    state: &AppState,
    existing: &AccountRow,
    request: &CreateAccount,
    phone: &str,
    now: i64,
) -> ApiResult<EarlierSignUp> {
    if existing.activated_at.is_some() {
        return Err(email_taken());
    }
    if now > existing.created_at + clock::ms(state.config.sms.code_ttl_seconds) {
        return Ok(EarlierSignUp::Replace);
    }
    let password_ok = throttle::check_password(
        state,
        &existing.email,
        request.password.expose(),
        Some(existing.password_hash.clone()),
    )
    .await?;
    if !password_ok {
        return Err(email_taken());
    }
    let pending = codes::pending_sign_up(state, &existing.id).await?;
    match pending {
        Some(row) if request.replaces_challenge_id.as_deref() == Some(row.id.as_str()) => {
            Ok(EarlierSignUp::Replace)
        }
        Some(row) if row.phone == phone => {
            let resend_at = codes::resend_at(state, &existing.id, phone).await?;
            Ok(EarlierSignUp::Retried(codes::pending_view(&row, resend_at, now)))
        }
        _ => Err(ApiError::new(
            ErrorCode::EmailTaken,
            "A sign-up with this email is waiting for its SMS code. Enter the code, or change the number from the screen that asked for it.",
        )),
    }
}

fn email_taken() -> ApiError {
    ApiError::new(
        ErrorCode::EmailTaken,
        "An account with this email exists. Sign in instead.",
    )
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/account", operation_id = "get_account", tag = "accounts", security(("bearer" = [])),
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
#[utoipa::path(put, path = "/v1/account/password", operation_id = "change_password", tag = "accounts", security(("bearer" = [])),
    request_body = ChangePassword,
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<ChangePassword>,
) -> ApiResult<StatusCode> {
    let account = load(&state, &authed).await?;
    confirm_password(&state, &account, request.current_password.expose()).await?;
    validate::password(request.new_password.expose(), state.hasher.config())?;
    let hash = state.hasher.hash(request.new_password.expose()).await?;
    let mut tx = state.db.begin().await?;
    accounts::set_password_hash(&mut *tx, &account.id, &hash).await?;
    for device_id in devices::others(&mut *tx, &account.id, &authed.device_id).await? {
        device_sessions::revoke(&state, &mut tx, &account.id, &device_id).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives an account made with a provider an account password (for signing in with email and
/// password, and for the settings that ask for it); a code to the account's phone confirms it.
#[utoipa::path(post, path = "/v1/account/password", operation_id = "add_password", tag = "accounts", security(("bearer" = [])),
    request_body = AddPassword,
    responses((status = 202, body = SmsChallenge), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 409, body = Problem),
              (status = 429, body = Problem)))]
pub async fn add_password(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<AddPassword>,
) -> ApiResult<(StatusCode, Json<SmsChallenge>)> {
    let account = load(&state, &authed).await?;
    if !account.password_hash.is_empty() {
        return Err(password_exists());
    }
    validate::password(request.new_password.expose(), state.hasher.config())?;
    let hash = state.hasher.hash(request.new_password.expose()).await?;
    let purpose = Purpose::AddPassword { hash };
    let challenge = codes::issue(&state, &account.id, &account.phone, purpose).await?;
    Ok((StatusCode::ACCEPTED, Json(challenge)))
}

/// The answer to adding a password to an account that has one.
pub(crate) fn password_exists() -> ApiError {
    ApiError::new(
        ErrorCode::PasswordExists,
        "This account has an account password already; change it instead.",
    )
}

/// Starts a phone change: a code goes to the new number.
#[utoipa::path(post, path = "/v1/account/phone", operation_id = "change_phone", tag = "accounts", security(("bearer" = [])),
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
#[utoipa::path(put, path = "/v1/account/two-step", operation_id = "set_two_step", tag = "accounts", security(("bearer" = [])),
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
#[utoipa::path(delete, path = "/v1/account", operation_id = "delete_account", tag = "accounts", security(("bearer" = [])),
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
    validate::secret_input(
        password,
        keyhaven_protocol::limits::PASSWORD_MAX_CHARS,
        "account password",
    )?;
    if state
        .hasher
        .verify(password, Some(account.password_hash.clone()))
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
