//! `oauth_codes`: one-time codes for the desktop app after a provider vouched for the person.

use sqlx::{Any, Executor, FromRow};

/// One issued code (its hash) and what redeeming it requires and yields.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OAuthCodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    /// The configured provider name the person came through.
    pub provider: String,
    /// The issuer that vouched for the person ([`crate::social::issuer_key`]).
    pub issuer: String,
    /// The issuer's id of the person.
    pub subject: String,
    pub email: Option<String>,
    /// 1 when the provider vouches for the email.
    pub email_verified: i64,
    pub expires_at: i64,
}

/// Stores a new code.
pub async fn insert<'c>(
    db: impl Executor<'c, Database = Any>,
    row: &OAuthCodeRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, client_id, redirect_uri, code_challenge, provider, \
         issuer, subject, email, email_verified, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&row.code_hash)
    .bind(&row.client_id)
    .bind(&row.redirect_uri)
    .bind(&row.code_challenge)
    .bind(&row.provider)
    .bind(&row.issuer)
    .bind(&row.subject)
    .bind(&row.email)
    .bind(row.email_verified)
    .bind(row.expires_at)
    .execute(db)
    .await
    .map(drop)
}

/// Removes and returns the unexpired code with this hash: a code works once, whatever follows.
pub async fn take<'c>(
    db: impl Executor<'c, Database = Any>,
    code_hash: &str,
    now: i64,
) -> sqlx::Result<Option<OAuthCodeRow>> {
    sqlx::query_as(
        "DELETE FROM oauth_codes WHERE code_hash = $1 AND expires_at > $2 \
         RETURNING code_hash, client_id, redirect_uri, code_challenge, provider, issuer, subject, \
         email, email_verified, expires_at",
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Forgets codes nobody redeemed in time.
pub async fn delete_expired<'c>(
    db: impl Executor<'c, Database = Any>,
    now: i64,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM oauth_codes WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}
