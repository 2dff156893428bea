//! `sign_in_attempts`: recent sign-in attempts per throttle key (`ip:…`, `account:…`), shared by
//! every node through the database.

use sqlx::{Any, AnyConnection, Executor};

/// Attempts under `throttle` after `since` (count, oldest).
pub async fn recent<'c>(
    db: impl Executor<'c, Database = Any>,
    throttle: &str,
    since: i64,
) -> sqlx::Result<(i64, Option<i64>)> {
    sqlx::query_as("SELECT COUNT(*), MIN(at) FROM sign_in_attempts WHERE throttle = $1 AND at > $2")
        .bind(throttle)
        .bind(since)
        .fetch_one(db)
        .await
}

/// Records one attempt and forgets this key's attempts older than `forget_before`.
pub async fn record(
    db: &mut AnyConnection,
    throttle: &str,
    now: i64,
    forget_before: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE throttle = $1 AND at <= $2")
        .bind(throttle)
        .bind(forget_before)
        .execute(&mut *db)
        .await?;
    sqlx::query("INSERT INTO sign_in_attempts (throttle, at) VALUES ($1, $2)")
        .bind(throttle)
        .bind(now)
        .execute(&mut *db)
        .await
        .map(drop)
}

/// Forgets a key's attempts (an account's failures after it signs in).
pub async fn clear<'c>(db: impl Executor<'c, Database = Any>, throttle: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE throttle = $1")
        .bind(throttle)
        .execute(db)
        .await
        .map(drop)
}
