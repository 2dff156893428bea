//! `challenges`: pending SMS confirmations (account creation, sign-in, phone change).

use sqlx::{Any, Executor, FromRow};

/// The `code_hash` of a challenge whose code has not been sent yet (it matches no code).
pub const NO_CODE_YET: &str = "";

/// A challenge as stored; `payload` is the purpose's JSON (device, new phone).
#[derive(Debug, Clone, FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub account_id: String,
    pub purpose: String,
    pub phone: String,
    pub code_hash: String,
    pub attempts: i64,
    pub payload: String,
    pub expires_at: i64,
}

/// Stores a new challenge.
pub async fn insert<'c>(
    db: impl Executor<'c, Database = Any>,
    row: &ChallengeRow,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO challenges (id, account_id, purpose, phone, code_hash, attempts, payload, \
         expires_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)",
    )
    .bind(&row.id)
    .bind(&row.account_id)
    .bind(&row.purpose)
    .bind(&row.phone)
    .bind(&row.code_hash)
    .bind(&row.payload)
    .bind(row.expires_at)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

/// The unfinished challenge with this id.
pub async fn pending<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
) -> sqlx::Result<Option<ChallengeRow>> {
    sqlx::query_as(
        "SELECT id, account_id, purpose, phone, code_hash, attempts, payload, expires_at \
         FROM challenges WHERE id = $1 AND finished_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The account's newest unfinished challenge of this purpose.
pub async fn pending_for<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    purpose: &str,
) -> sqlx::Result<Option<ChallengeRow>> {
    sqlx::query_as(
        "SELECT id, account_id, purpose, phone, code_hash, attempts, payload, expires_at \
         FROM challenges WHERE account_id = $1 AND purpose = $2 AND finished_at IS NULL \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(purpose)
    .fetch_optional(db)
    .await
}

/// Counts one try against an unfinished challenge and returns it with the new count. Being a
/// write, it also serializes concurrent tries of the same challenge.
pub async fn count_attempt<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
) -> sqlx::Result<Option<ChallengeRow>> {
    sqlx::query_as(
        "UPDATE challenges SET attempts = attempts + 1 WHERE id = $1 AND finished_at IS NULL \
         RETURNING id, account_id, purpose, phone, code_hash, attempts, payload, expires_at",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Replaces the code of a challenge (a resend): fresh expiry, tries start over.
pub async fn replace_code<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    code_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE challenges SET code_hash = $2, expires_at = $3, attempts = 0 WHERE id = $1")
        .bind(id)
        .bind(code_hash)
        .bind(expires_at)
        .execute(db)
        .await
        .map(drop)
}

/// Marks the challenge used: its code never works again.
pub async fn finish<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE challenges SET finished_at = $2, code_hash = '' WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

/// Ends every unfinished challenge of the account with this purpose (a newer one replaces them).
pub async fn finish_all<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    purpose: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE challenges SET finished_at = $3, code_hash = '' \
         WHERE account_id = $1 AND purpose = $2 AND finished_at IS NULL",
    )
    .bind(account_id)
    .bind(purpose)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

/// Deletes the account's challenges.
pub async fn delete_for_account<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM challenges WHERE account_id = $1")
        .bind(account_id)
        .execute(db)
        .await
        .map(drop)
}
