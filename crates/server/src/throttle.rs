//! Sign-in throttling per client address (every attempt) and per account (failures), counted in
//! the database so that several nodes enforce one limit.

use std::net::IpAddr;

use keyhaven_protocol::error::ErrorCode;

use crate::clock::{ms, seconds_until};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::sign_in_attempts;

/// Refuses the attempt when this address made too many recently; otherwise counts it.
pub async fn admit_ip(state: &AppState, ip: IpAddr) -> ApiResult<()> {
    let limits = state.config.sign_in;
    let key = format!("ip:{ip}");
    let window = ms(limits.per_ip_window_seconds);
    refuse_if_over(state, &key, limits.per_ip_attempts, window).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sign_in_attempts::record(&mut tx, &key, now, now - window).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses the attempt when the account had too many failures recently.
pub async fn admit_account(state: &AppState, email: &str) -> ApiResult<()> {
    let limits = state.config.sign_in;
    let window = ms(limits.per_account_window_seconds);
    refuse_if_over(
        state,
        &account_key(email),
        limits.per_account_failures,
        window,
    )
    .await
}

/// Counts a failed attempt against the account.
pub async fn record_failure(state: &AppState, email: &str) -> ApiResult<()> {
    let now = state.now();
    let window = ms(state.config.sign_in.per_account_window_seconds);
    let mut tx = state.db.begin().await?;
    sign_in_attempts::record(&mut tx, &account_key(email), now, now - window).await?;
    tx.commit().await?;
    Ok(())
}

/// Forgets the account's failures after it signed in.
pub async fn clear_account(state: &AppState, email: &str) -> ApiResult<()> {
    Ok(sign_in_attempts::clear(&state.db, &account_key(email)).await?)
}

fn account_key(email: &str) -> String {
    format!("account:{email}")
}

async fn refuse_if_over(state: &AppState, key: &str, limit: u32, window: i64) -> ApiResult<()> {
    let now = state.now();
    let (count, oldest) = sign_in_attempts::recent(&state.db, key, now - window).await?;
    if count >= i64::from(limit) {
        let wait = seconds_until(now, oldest.unwrap_or(now) + window);
        return Err(ApiError::retry_after(
            ErrorCode::TooManySignInAttempts,
            format!(
                "Too many sign-in attempts. Try again in {} min.",
                wait.div_ceil(60)
            ),
            wait,
        ));
    }
    Ok(())
}
