//! Limits on sign-in and sign-up, per client address and per account, counted in the database
//! so that several nodes enforce one limit. Every attempt is counted before its work is done
//! (one atomic upsert, [`rate_limits::hit`]), so 30 parallel attempts against a limit of 10 get
//! exactly 10 through. A successful sign-in clears its account's count: what remains are the
//! failures.

use std::net::IpAddr;

use keyhaven_protocol::error::ErrorCode;
use sha2::{Digest, Sha256};

use crate::clock::{ms, seconds_until};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::rate_limits;

/// Counts a sign-in attempt from this address; refuses it over the limit.
pub async fn admit_ip(state: &AppState, ip: IpAddr) -> ApiResult<()> {
    let limits = state.config.sign_in;
    let bucket = bucket("sign-in-ip", &ip.to_string());
    hit(
        state,
        &bucket,
        limits.per_ip_attempts,
        limits.per_ip_window_seconds,
    )
    .await?
    .map_err(too_many_sign_ins)
}

/// Whether `password` is the account's (`stored`: its hash, `None` for an unknown email, which
/// costs the same work), tried under the account's limit: the attempt is counted first, and a
/// right password clears the count. Every check of an account password by someone not signed
/// in (sign-in, linking a provider, a pending sign-up's retry) goes through here.
pub async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
    stored: Option<String>,
) -> ApiResult<bool> {
    admit_account(state, email).await?;
    let matches = state.hasher.verify(password, stored).await?;
    if matches {
        rate_limits::clear(&state.db, &account_bucket(email)).await?;
    }
    Ok(matches)
}

/// Counts an attempt at the account's password; refuses it when the account had too many
/// failures recently.
async fn admit_account(state: &AppState, email: &str) -> ApiResult<()> {
    let limits = state.config.sign_in;
    let bucket = account_bucket(email);
    hit(
        state,
        &bucket,
        limits.per_account_failures,
        limits.per_account_window_seconds,
    )
    .await?
    .map_err(too_many_sign_ins)
}

/// Counts a sign-up from this address and for this email; refuses it over either limit.
pub async fn admit_sign_up(state: &AppState, ip: IpAddr, email: &str) -> ApiResult<()> {
    let limits = state.config.sign_up;
    let by_ip = bucket("sign-up-ip", &ip.to_string());
    let by_email = bucket("sign-up-email", email);
    let checks = [
        (by_ip, limits.per_ip_attempts, limits.per_ip_window_seconds),
        (
            by_email,
            limits.per_email_attempts,
            limits.per_email_window_seconds,
        ),
    ];
    for (bucket, limit, window) in checks {
        hit(state, &bucket, limit, window).await?.map_err(|wait| {
            ApiError::retry_after(
                ErrorCode::RateLimited,
                format!(
                    "Too many accounts were started from here. Try again in {} min.",
                    wait.div_ceil(60)
                ),
                wait,
            )
        })?;
    }
    Ok(())
}

/// One hit in `bucket`; `Err(seconds to wait)` when it went over `limit`.
async fn hit(
    state: &AppState,
    bucket: &str,
    limit: u32,
    window_seconds: u64,
) -> ApiResult<Result<(), u64>> {
    let now = state.now();
    let window = ms(window_seconds);
    let (hits, window_start) = rate_limits::hit(&state.db, bucket, now, window).await?;
    Ok(if hits > i64::from(limit) {
        Err(seconds_until(now, window_start + window))
    } else {
        Ok(())
    })
}

fn too_many_sign_ins(wait: u64) -> ApiError {
    ApiError::retry_after(
        ErrorCode::TooManySignInAttempts,
        format!(
            "Too many sign-in attempts. Try again in {} min.",
            wait.div_ceil(60)
        ),
        wait,
    )
}

fn account_bucket(email: &str) -> String {
    bucket("account", email)
}

/// A bucket's key: its limit and the SHA-256 of its subject, so every key is short.
fn bucket(limit: &str, subject: &str) -> String {
    format!(
        "{limit}:{}",
        hex::encode(Sha256::digest(subject.as_bytes()))
    )
}
