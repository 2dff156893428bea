//! SMS security codes (NIST 800-63B style): issuing with the resend limits, verifying with the
//! try limit. A challenge ties a code to what it confirms: account creation, sign-in, phone change.

use keyhaven_protocol::accounts::SmsChallenge;
use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::error::ErrorCode;
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Transaction};
use zeroize::Zeroizing;

use crate::clock::{ms, seconds_until};
use crate::error::{ApiError, ApiResult};
use crate::secrets::{new_id, new_sms_code};
use crate::sms::mask_phone;
use crate::state::AppState;
use crate::store::{accounts, challenges, sms_sends};

/// What a confirmed code completes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub enum Purpose {
    /// Activates a new account and signs this device in.
    CreateAccount { device: DeviceInfo },
    /// Signs this device in (2-step verification).
    SignIn { device: DeviceInfo },
    /// Makes this number the account's phone.
    ChangePhone { phone: String },
    /// Links a provider identity to an account that has no account password, and signs this
    /// device in.
    LinkIdentity {
        identity: LinkedIdentity,
        device: DeviceInfo,
    },
    /// Gives an account without an account password this one (its Argon2id hash).
    AddPassword { hash: String },
}

/// A provider identity waiting for its link (what a social one-time code vouched for).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkedIdentity {
    pub issuer: String,
    pub subject: String,
    pub provider: String,
}

impl LinkedIdentity {
    /// The identity a social one-time code vouches for.
    pub fn of(code: &crate::store::oauth_codes::OAuthCodeRow) -> Self {
        Self {
            issuer: code.issuer.clone(),
            subject: code.subject.clone(),
            provider: code.provider.clone(),
        }
    }

    /// The row that links it, created at `now`.
    pub fn at(self, now: i64) -> crate::store::social_identities::IdentityRow {
        crate::store::social_identities::IdentityRow {
            issuer: self.issuer,
            subject: self.subject,
            provider: self.provider,
            created_at: now,
        }
    }
}

impl Purpose {
    fn key(&self) -> &'static str {
        match self {
            Self::CreateAccount { .. } => "create_account",
            Self::SignIn { .. } => "sign_in",
            Self::ChangePhone { .. } => "change_phone",
            Self::LinkIdentity { .. } => "link_identity",
            Self::AddPassword { .. } => "add_password",
        }
    }
}

/// A challenge whose code was just confirmed, inside the transaction that finishes it.
pub struct Confirmed {
    pub account_id: String,
    pub purpose: Purpose,
    pub tx: Transaction<'static, Any>,
}

/// Sends a code to `phone` for `purpose`, replacing the account's earlier challenges of the
/// same purpose.
pub async fn issue(
    state: &AppState,
    account_id: &str,
    phone: &str,
    purpose: Purpose,
) -> ApiResult<SmsChallenge> {
    let mut tx = state.db.begin().await?;
    let issued = issue_in(state, &mut tx, account_id, phone, purpose).await?;
    tx.commit().await?;
    issued.deliver(state).await
}

/// A challenge recorded in a transaction not committed yet: commit it, then [`Issued::deliver`].
pub struct Issued {
    challenge: SmsChallenge,
    /// The code to send, and where; none when a retry got the challenge already sent.
    send: Option<(String, Zeroizing<String>)>,
}

impl Issued {
    /// Sends the code (after the transaction committed) and answers with the challenge.
    pub async fn deliver(self, state: &AppState) -> ApiResult<SmsChallenge> {
        if let Some((phone, code)) = &self.send {
            deliver(state, phone, code).await?;
        }
        Ok(self.challenge)
    }
}

/// [`issue`] inside the caller's transaction, so that what the code confirms (a new account)
/// and its challenge appear together.
pub async fn issue_in(
    state: &AppState,
    tx: &mut AnyConnection,
    account_id: &str,
    phone: &str,
    purpose: Purpose,
) -> ApiResult<Issued> {
    let now = state.now();
    let id = new_id();
    let code = new_sms_code();
    let payload = serde_json::to_string(&purpose).map_err(ApiError::internal)?;
    lock_account(&mut *tx, account_id).await?;
    if let Some(same) =
        same_request_just_sent(state, &mut *tx, account_id, phone, &purpose, &payload, now).await?
    {
        return Ok(Issued {
            challenge: same,
            send: None,
        });
    }
    check_hourly_limits(state, &mut *tx, account_id, phone, now).await?;
    // Within the cooldown of a code sent for something else (another computer's sign-in), the
    // challenge waits for the person to ask for its code rather than failing the whole step.
    let cooling_until = cooldown_end(state, &mut *tx, account_id, phone, now).await?;
    challenges::finish_all(&mut *tx, account_id, purpose.key(), now).await?;
    let row = challenges::ChallengeRow {
        id: id.clone(),
        account_id: account_id.to_owned(),
        purpose: purpose.key().to_owned(),
        phone: phone.to_owned(),
        code_hash: match cooling_until {
            Some(_) => challenges::NO_CODE_YET.to_owned(),
            None => state.secret.code_hash(&id, &code),
        },
        attempts: 0,
        payload,
        expires_at: now + ms(state.config.sms.code_ttl_seconds),
    };
    challenges::insert(&mut *tx, &row, now).await?;
    if let Some(resend_at) = cooling_until {
        return Ok(Issued {
            challenge: pending_view(&row, resend_at, now),
            send: None,
        });
    }
    sms_sends::record(&mut *tx, account_id, phone, now).await?;
    Ok(Issued {
        challenge: challenge_view(state, &id, phone),
        send: Some((phone.to_owned(), code)),
    })
}

/// Sends a new code for a pending challenge, once the cooldown is over and within the hourly
/// limits. A burned or expired challenge comes back to life this way.
pub async fn resend(state: &AppState, challenge_id: &str) -> ApiResult<SmsChallenge> {
    let now = state.now();
    if !crate::validate::is_service_id(challenge_id) {
        return Err(not_found());
    }
    let row = challenges::pending(&state.db, challenge_id)
        .await?
        .ok_or_else(not_found)?;
    let code = new_sms_code();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, &row.account_id).await?;
    if let Some(allowed_at) = cooldown_end(state, &mut tx, &row.account_id, &row.phone, now).await?
    {
        let wait = seconds_until(now, allowed_at);
        return Err(ApiError::retry_after(
            ErrorCode::SmsResendTooSoon,
            format!("A code was sent a moment ago. You can ask for a new one in {wait} s."),
            wait,
        ));
    }
    check_hourly_limits(state, &mut tx, &row.account_id, &row.phone, now).await?;
    let expires_at = now + ms(state.config.sms.code_ttl_seconds);
    let code_hash = state.secret.code_hash(&row.id, &code);
    challenges::replace_code(&mut *tx, &row.id, &code_hash, expires_at).await?;
    sms_sends::record(&mut tx, &row.account_id, &row.phone, now).await?;
    tx.commit().await?;
    deliver(state, &row.phone, &code).await?;
    Ok(challenge_view(state, &row.id, &row.phone))
}

/// Checks a code. Every try counts, right or wrong; the caller completes the purpose inside
/// the returned transaction and commits it.
pub async fn confirm(state: &AppState, challenge_id: &str, code: &str) -> ApiResult<Confirmed> {
    let now = state.now();
    let max = i64::from(state.config.sms.max_attempts);
    crate::validate::secret_input(code, keyhaven_protocol::limits::SMS_CODE_MAX_CHARS, "code")?;
    if !crate::validate::is_service_id(challenge_id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let row = challenges::count_attempt(&mut *tx, challenge_id)
        .await?
        .ok_or_else(not_found)?;
    let refused = if row.attempts > max {
        Some(burned())
    } else if now >= row.expires_at {
        Some(ApiError::new(
            ErrorCode::SmsCodeExpired,
            "This code has expired. Ask for a new one.",
        ))
    } else if !state.secret.code_matches(
        &row.id,
        &keyhaven_protocol::accounts::clean_sms_code(code),
        &row.code_hash,
    ) {
        let tries_left = u32::try_from(max - row.attempts).unwrap_or(0);
        Some(if tries_left == 0 {
            burned()
        } else {
            ApiError {
                tries_left: Some(tries_left),
                ..ApiError::new(
                    ErrorCode::SmsCodeInvalid,
                    format!(
                        "That code is not right. {tries_left} {} left.",
                        if tries_left == 1 { "try" } else { "tries" }
                    ),
                )
            }
        })
    } else {
        None
    };
    if let Some(error) = refused {
        tx.commit().await?;
        return Err(error);
    }
    let purpose: Purpose = serde_json::from_str(&row.payload).map_err(ApiError::internal)?;
    challenges::finish(&mut *tx, &row.id, now).await?;
    Ok(Confirmed {
        account_id: row.account_id,
        purpose,
        tx,
    })
}

/// A retry of the same request (a double click, a retry after a timeout): the challenge sent for
/// it within the resend cooldown, which stays valid; no second SMS goes out.
async fn same_request_just_sent(
    state: &AppState,
    tx: &mut AnyConnection,
    account_id: &str,
    phone: &str,
    purpose: &Purpose,
    payload: &str,
    now: i64,
) -> ApiResult<Option<SmsChallenge>> {
    let Some(row) = challenges::pending_for(&mut *tx, account_id, purpose.key()).await? else {
        return Ok(None);
    };
    if row.phone != phone || row.payload != payload || now >= row.expires_at {
        return Ok(None);
    }
    let Some(last) = sms_sends::last_send(&mut *tx, account_id, phone).await? else {
        return Ok(None);
    };
    let resend_at = last + ms(state.config.sms.resend_cooldown_seconds);
    if now >= resend_at {
        return Ok(None);
    }
    Ok(Some(pending_view(&row, resend_at, now)))
}

/// The pending challenge `row` as its first answer described it, with the times still left.
pub fn pending_view(row: &challenges::ChallengeRow, resend_at: i64, now: i64) -> SmsChallenge {
    SmsChallenge {
        challenge_id: row.id.clone(),
        phone_hint: mask_phone(&row.phone),
        expires_in_seconds: seconds_until(now, row.expires_at),
        resend_after_seconds: if now >= resend_at {
            0
        } else {
            seconds_until(now, resend_at)
        },
        sent: row.code_hash != challenges::NO_CODE_YET,
    }
}

/// The account's pending sign-up challenge (what a retried sign-up answers with).
pub async fn pending_sign_up(
    state: &AppState,
    account_id: &str,
) -> ApiResult<Option<challenges::ChallengeRow>> {
    Ok(challenges::pending_for(&state.db, account_id, "create_account").await?)
}

/// When a new code may be sent for this account and number.
pub async fn resend_at(state: &AppState, account_id: &str, phone: &str) -> ApiResult<i64> {
    let last = sms_sends::last_send(&state.db, account_id, phone).await?;
    Ok(last.map_or(0, |last| {
        last + ms(state.config.sms.resend_cooldown_seconds)
    }))
}

async fn lock_account(tx: &mut AnyConnection, account_id: &str) -> ApiResult<()> {
    if accounts::lock_row(&mut *tx, account_id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// When the cooldown after the last code to this account or number ends, if it has not.
async fn cooldown_end(
    state: &AppState,
    tx: &mut AnyConnection,
    account_id: &str,
    phone: &str,
    now: i64,
) -> ApiResult<Option<i64>> {
    let last = sms_sends::last_send(&mut *tx, account_id, phone).await?;
    Ok(last
        .map(|last| last + ms(state.config.sms.resend_cooldown_seconds))
        .filter(|&allowed_at| now < allowed_at))
}

async fn check_hourly_limits(
    state: &AppState,
    tx: &mut AnyConnection,
    account_id: &str,
    phone: &str,
    now: i64,
) -> ApiResult<()> {
    let sms = &state.config.sms;
    for by_phone in [false, true] {
        let key = if by_phone { phone } else { account_id };
        let (count, oldest) = sms_sends::in_last_hour(&mut *tx, by_phone, key, now).await?;
        if count >= i64::from(sms.max_per_hour) {
            let wait = seconds_until(now, oldest.unwrap_or(now) + sms_sends::HOUR_MS);
            return Err(ApiError::retry_after(
                ErrorCode::SmsHourlyLimit,
                format!(
                    "Too many codes were sent in the last hour. Try again in {} min.",
                    wait.div_ceil(60)
                ),
                wait,
            ));
        }
    }
    Ok(())
}

async fn deliver(state: &AppState, phone: &str, code: &str) -> ApiResult<()> {
    state.sms.send(phone, code).await.map_err(|error| {
        tracing::warn!(to = %mask_phone(phone), %error, "SMS delivery failed");
        ApiError::new(
            ErrorCode::SmsDeliveryFailed,
            "The text message could not be sent. Try again in a minute.",
        )
    })
}

fn challenge_view(state: &AppState, id: &str, phone: &str) -> SmsChallenge {
    SmsChallenge {
        challenge_id: id.to_owned(),
        phone_hint: mask_phone(phone),
        expires_in_seconds: state.config.sms.code_ttl_seconds,
        resend_after_seconds: state.config.sms.resend_cooldown_seconds,
        sent: true,
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::ChallengeNotFound,
        "This confirmation is no longer pending. Start again.",
    )
}

fn burned() -> ApiError {
    ApiError {
        tries_left: Some(0),
        ..ApiError::new(
            ErrorCode::SmsCodeBurned,
            "Too many wrong codes: this one no longer works. Ask for a new code.",
        )
    }
}
