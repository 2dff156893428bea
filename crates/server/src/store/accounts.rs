//! `accounts`: email, password hash, phone, 2-step flag, accepted statement.

use sqlx::{Any, Executor, FromRow};

/// One account as stored.
#[derive(Debug, Clone, FromRow)]
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub phone: String,
    pub two_step_enabled: i64,
    pub statement_version: i64,
    pub activated_at: Option<i64>,
    pub created_at: i64,
}

/// A new account, not active until its phone is confirmed.
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub phone: &'a str,
    pub statement_version: i64,
    pub now: i64,
}

/// Inserts an account (2-step verification on).
pub async fn insert<'c>(
    db: impl Executor<'c, Database = Any>,
    new: NewAccount<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO accounts (id, email, password_hash, phone, two_step_enabled, \
         statement_version, statement_accepted_at, created_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $6)",
    )
    .bind(new.id)
    .bind(new.email)
    .bind(new.password_hash)
    .bind(new.phone)
    .bind(new.statement_version)
    .bind(new.now)
    .execute(db)
    .await
    .map(drop)
}

/// The account with this (normalized) email.
pub async fn by_email<'c>(
    db: impl Executor<'c, Database = Any>,
    email: &str,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(
        "SELECT id, email, password_hash, phone, two_step_enabled, statement_version, activated_at, \
         created_at FROM accounts WHERE email = $1",
    )
        .bind(email)
        .fetch_optional(db)
        .await
}

/// The account with this id.
pub async fn by_id<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(
        "SELECT id, email, password_hash, phone, two_step_enabled, statement_version, activated_at, \
         created_at FROM accounts WHERE id = $1",
    )
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Marks the account active once its phone is confirmed.
pub async fn activate<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET activated_at = $2 WHERE id = $1 AND activated_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

/// Records acceptance of a statement version.
pub async fn accept_statement<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    version: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE accounts SET statement_version = $2, statement_accepted_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(version)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

/// Replaces the password hash.
pub async fn set_password_hash<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(db)
        .await
        .map(drop)
}

/// Replaces the confirmed phone number.
pub async fn set_phone<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    phone: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET phone = $2 WHERE id = $1")
        .bind(id)
        .bind(phone)
        .execute(db)
        .await
        .map(drop)
}

/// Turns 2-step verification on or off.
pub async fn set_two_step<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    enabled: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET two_step_enabled = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(enabled))
        .execute(db)
        .await
        .map(drop)
}

/// Sets the password hash of an account that has none; false when it has one (by now).
pub async fn add_password_hash<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    hash: &str,
) -> sqlx::Result<bool> {
    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1 AND password_hash = ''")
        .bind(id)
        .bind(hash)
        .execute(db)
        .await
        .map(|done| done.rows_affected() == 1)
}

/// Takes the account's row lock (PostgreSQL) or the write lock (SQLite) for the rest of the
/// transaction, so that a limit is checked and recorded by one request at a time (SMS sends,
/// the last sign-in method).
pub async fn lock_row<'c>(db: impl Executor<'c, Database = Any>, id: &str) -> sqlx::Result<bool> {
    sqlx::query("UPDATE accounts SET sms_serial = sms_serial + 1 WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(|done| done.rows_affected() == 1)
}

/// Deletes the account row (its other rows are deleted first by the caller).
pub async fn delete<'c>(db: impl Executor<'c, Database = Any>, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}
