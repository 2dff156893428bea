//! `POST /v1/oauth/token`: the desktop app redeems the one-time code a social sign-in sent to
//! its loopback listener: a linked identity signs in like a password sign-in, a new person signs
//! up (statement, phone, SMS step), an existing account with the same verified email links the
//! identity with its own password.

use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::sessions::{RedeemSocialCode, SignInOutcome, SocialProviders};

use crate::clock::ms;
use crate::codes::{self, LinkedIdentity, Purpose};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, Json};
use crate::routes::accounts::delete_everything;
use crate::routes::sessions::{check_active_and_statement, finish_sign_in};
use crate::secrets::token_hash;
use crate::social::loopback::verifier_matches;
use crate::state::AppState;
use crate::store::oauth_codes::{self, OAuthCodeRow};
use crate::store::{accounts, social_identities, statements};
use crate::{throttle, validate};

/// The configured sign-in providers, in name order.
#[utoipa::path(get, path = "/v1/oauth/providers", operation_id = "list_social_providers", tag = "sessions",
    responses((status = 200, body = SocialProviders)))]
pub async fn providers(State(state): State<AppState>) -> Json<SocialProviders> {
    let mut providers: Vec<String> = state.config.social.providers.keys().cloned().collect();
    providers.sort();
    Json(SocialProviders { providers })
}

/// Redeems the app's one-time code: checked against the client, the redirect URI and the PKCE
/// verifier (any mismatch burns the code), then the linked account signs in as with a password
/// (statement, SMS step), or a new person signs up (see [`sign_up`]).
#[utoipa::path(post, path = "/v1/oauth/token", operation_id = "redeem_social_code", tag = "sessions", request_body = RedeemSocialCode,
    responses((status = 200, body = SignInOutcome), (status = 202, body = SignInOutcome),
              (status = 400, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 429, body = Problem)))]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<RedeemSocialCode>,
) -> Result<(StatusCode, Json<SignInOutcome>), ApiError> {
    throttle::admit_ip(&state, ip).await?;
    validate::device(&request.device)?;
    check_redeem(&request)?;
    let code = take_bound_code(
        &state,
        &request.client_id,
        &request.redirect_uri,
        request.code.expose(),
        request.code_verifier.expose(),
    )
    .await?;
    let Some(account_id) =
        social_identities::account_for(&state.db, &code.issuer, &code.subject).await?
    else {
        return sign_up(&state, code, &request).await;
    };
    let account = accounts::by_id(&state.db, &account_id)
        .await?
        .ok_or_else(invalid_grant)?;
    sign_in_keeping_code(&state, &account, code, &request).await
}

fn invalid_grant() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidGrant,
        "This sign-in code is not valid (used, expired, or not for this app). Start again.",
    )
}

/// Takes the app's one-time code if it was issued to this client and redirect URI and the
/// verifier answers its PKCE challenge; any mismatch burns it.
pub(crate) async fn take_bound_code(
    state: &AppState,
    client_id: &str,
    redirect_uri: &str,
    code: &str,
    code_verifier: &str,
) -> ApiResult<OAuthCodeRow> {
    let code = oauth_codes::take(&state.db, &token_hash(code), state.now())
        .await?
        .ok_or_else(invalid_grant)?;
    let bound = code.client_id == client_id
        && code.redirect_uri == redirect_uri
        && verifier_matches(code_verifier, &code.code_challenge).unwrap_or(false);
    if bound {
        Ok(code)
    } else {
        Err(invalid_grant())
    }
}

/// The sizes and characters of a redeem request, before anything is looked up.
fn check_redeem(request: &RedeemSocialCode) -> ApiResult<()> {
    use keyhaven_protocol::limits::PASSWORD_MAX_CHARS;
    check_code_binding(
        &request.client_id,
        &request.redirect_uri,
        request.code.expose(),
        request.code_verifier.expose(),
    )?;
    if let Some(password) = &request.password {
        validate::secret_input(password.expose(), PASSWORD_MAX_CHARS, "account password")?;
    }
    if let Some(phone) = &request.phone {
        validate::phone(phone)?;
    }
    Ok(())
}

/// The sizes and characters of a one-time code and what binds it, before anything is looked up.
pub(crate) fn check_code_binding(
    client_id: &str,
    redirect_uri: &str,
    code: &str,
    code_verifier: &str,
) -> ApiResult<()> {
    use keyhaven_protocol::limits::{CLIENT_ID_MAX_CHARS, REDIRECT_URI_MAX_CHARS, TOKEN_MAX_CHARS};
    let texts_ok = validate::text_ok(client_id, 1, CLIENT_ID_MAX_CHARS)
        && validate::text_ok(redirect_uri, 1, REDIRECT_URI_MAX_CHARS);
    if !texts_ok {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "client_id (1 to 64 characters) and redirect_uri (1 to 2048) are required, with no control characters.",
        ));
    }
    validate::secret_input(code, TOKEN_MAX_CHARS, "code")?;
    validate::secret_input(code_verifier, TOKEN_MAX_CHARS, "code verifier")?;
    Ok(())
}

/// Signs `account` in; when it must first accept a newer statement, the code stays valid for a
/// while so the app can redeem it again with the accepted version (no second browser trip).
async fn sign_in_keeping_code(
    state: &AppState,
    account: &accounts::AccountRow,
    code: OAuthCodeRow,
    request: &RedeemSocialCode,
) -> Result<(StatusCode, Json<SignInOutcome>), ApiError> {
    let outcome = finish_sign_in(
        state,
        account,
        &request.device,
        request.accepted_statement_version,
    )
    .await;
    if let Err(error) = &outcome {
        if error.code == ErrorCode::StatementAcceptanceRequired {
            keep_code(state, code).await?;
        }
    }
    outcome
}

/// Puts a redeemed code back for [`crate::config::SocialConfig::request_ttl_seconds`]: the
/// person is reading the statement or typing a number or password.
async fn keep_code(state: &AppState, code: OAuthCodeRow) -> Result<(), ApiError> {
    let kept = OAuthCodeRow {
        expires_at: state.now() + ms(state.config.social.request_ttl_seconds),
        ..code
    };
    oauth_codes::insert(&state.db, &kept).await?;
    Ok(())
}

/// A provider identity with no account: an account whose verified email matches must confirm
/// the link with its own password (see [`link_with_password`]: no takeover by email); otherwise the person signs up with the
/// provider's verified email, accepting the statement and giving a phone number for the SMS
/// step. Until both are given the code stays valid for a while (`sign_up_required`).
async fn sign_up(
    state: &AppState,
    code: OAuthCodeRow,
    request: &RedeemSocialCode,
) -> Result<(StatusCode, Json<SignInOutcome>), ApiError> {
    let Some(email) = code.email.clone().filter(|_| code.email_verified != 0) else {
        return Err(ApiError::new(
            ErrorCode::NoLinkedAccount,
            "No Keyhaven Account uses this sign-in method, and the provider gave no verified email to create one with.",
        ));
    };
    let email = email.trim().to_lowercase();
    if let Some(existing) = accounts::by_email(&state.db, &email).await? {
        return link_with_password(state, code, existing, request).await;
    }
    let statement = statements::current(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal("no statement is published"))?;
    let phone = match (&request.phone, request.accepted_statement_version) {
        (Some(phone), Some(version)) if version == statement.version => validate::phone(phone)?,
        _ => {
            keep_code(state, code).await?;
            return Err(ApiError {
                statement_version: Some(statement.version),
                ..ApiError::new(
                    ErrorCode::SignUpRequired,
                    "No Keyhaven Account uses this sign-in method yet. Accept the Web-Portal Statement and give a mobile number to create one.",
                )
            });
        }
    };
    let now = state.now();
    let id = uuid::Uuid::new_v4().to_string();
    accounts::insert(
        &state.db,
        accounts::NewAccount {
            id: &id,
            email: &email,
            // No account password: this account signs in with its provider (a hash no password
            // can match).
            password_hash: "",
            phone: &phone,
            statement_version: statement.version,
            now,
        },
    )
    .await
    .map_err(|error| match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::new(
            ErrorCode::LinkRequired,
            "An account with this email exists. Sign in with its account password once to link this sign-in method.",
        ),
        other => other.into(),
    })?;
    if !social_identities::link(&state.db, &LinkedIdentity::of(&code).at(now), &id).await? {
        // Another sign-up with the same identity won the race.
        delete_everything(state, &id).await?;
        return Err(identity_in_use());
    }
    let purpose = Purpose::CreateAccount {
        device: request.device.clone(),
    };
    match codes::issue(state, &id, &phone, purpose).await {
        Ok(challenge) => Ok((
            StatusCode::ACCEPTED,
            Json(SignInOutcome::SmsRequired(challenge)),
        )),
        Err(error) => {
            delete_everything(state, &id).await?;
            Err(error)
        }
    }
}

/// Links the provider identity to `account` once the request carries that account's password
/// (throttled like a sign-in); until then, and after a wrong password, the code stays valid and
/// the answer is `link_required` / `invalid_credentials`.
async fn link_with_password(
    state: &AppState,
    code: OAuthCodeRow,
    account: accounts::AccountRow,
    request: &RedeemSocialCode,
) -> Result<(StatusCode, Json<SignInOutcome>), ApiError> {
    if account.password_hash.is_empty() {
        return link_with_sms_code(state, code, account, request).await;
    }
    let Some(password) = &request.password else {
        keep_code(state, code).await?;
        return Err(ApiError::new(
            ErrorCode::LinkRequired,
            "An account with this email exists. Enter its account password once to link this sign-in method.",
        ));
    };
    let matches = throttle::check_password(
        state,
        &account.email,
        password.expose(),
        Some(account.password_hash.clone()),
    )
    .await?;
    if !matches {
        keep_code(state, code).await?;
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "The account password is not right.",
        ));
    }
    let mut conn = state.db.acquire().await?;
    if !social_identities::link_to(
        &mut conn,
        &LinkedIdentity::of(&code).at(state.now()),
        &account.id,
    )
    .await?
    {
        return Err(identity_in_use());
    }
    drop(conn);
    sign_in_keeping_code(state, &account, code, request).await
}

/// An account without an account password (made with another provider) proves itself with an
/// SMS code to its phone instead: confirming it links the identity and signs this device in
/// ([`Purpose::LinkIdentity`]). A newer statement is accepted first, with the same code.
async fn link_with_sms_code(
    state: &AppState,
    code: OAuthCodeRow,
    account: accounts::AccountRow,
    request: &RedeemSocialCode,
) -> Result<(StatusCode, Json<SignInOutcome>), ApiError> {
    if let Err(error) =
        check_active_and_statement(state, &account, request.accepted_statement_version).await
    {
        if error.code == ErrorCode::StatementAcceptanceRequired {
            keep_code(state, code).await?;
        }
        return Err(error);
    }
    let purpose = Purpose::LinkIdentity {
        identity: LinkedIdentity::of(&code),
        device: request.device.clone(),
    };
    let challenge = codes::issue(state, &account.id, &account.phone, purpose).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SignInOutcome::SmsRequired(challenge)),
    ))
}

/// The answer when an identity signs in to another account already.
pub(crate) fn identity_in_use() -> ApiError {
    ApiError::new(
        ErrorCode::IdentityInUse,
        "This sign-in method already signs in to another Keyhaven Account.",
    )
}
