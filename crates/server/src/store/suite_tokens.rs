//! `suite_tokens`: the hashes of suite tokens, each bound to the device that published it and
//! to that device's computer.

use sqlx::{Any, AnyConnection, Executor, FromRow};

/// What a suite token signs in as.
#[derive(Debug, Clone, FromRow)]
pub struct SuiteTokenRow {
    pub account_id: String,
    pub machine_hash: String,
}

/// Stores the device's suite token, replacing any earlier one.
pub async fn replace(
    db: &mut AnyConnection,
    hash: &str,
    device_id: &str,
    account_id: &str,
    machine_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    delete_for_device(&mut *db, device_id).await?;
    sqlx::query(
        "INSERT INTO suite_tokens (token_hash, device_id, account_id, machine_hash, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(device_id)
    .bind(account_id)
    .bind(machine_hash)
    .bind(expires_at)
    .execute(db)
    .await
    .map(drop)
}

/// The live suite token with this hash: unexpired, and its device still signed in.
pub async fn live<'c>(
    db: impl Executor<'c, Database = Any>,
    hash: &str,
    now: i64,
) -> sqlx::Result<Option<SuiteTokenRow>> {
    sqlx::query_as(
        "SELECT s.account_id, s.machine_hash FROM suite_tokens s \
         JOIN devices d ON d.id = s.device_id AND d.revoked_at IS NULL \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Withdraws the device's suite token.
pub async fn delete_for_device<'c>(
    db: impl Executor<'c, Database = Any>,
    device_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM suite_tokens WHERE device_id = $1")
        .bind(device_id)
        .execute(db)
        .await
        .map(drop)
}

/// Forgets every suite token of an account.
pub async fn delete_for_account<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM suite_tokens WHERE account_id = $1")
        .bind(account_id)
        .execute(db)
        .await
        .map(drop)
}
