//! `oauth_requests`: a desktop app's social sign-in waiting for the provider's answer.

use sqlx::{Any, Executor, FromRow};

/// One pending authorization request.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OAuthRequestRow {
    /// The `state` sent to the provider.
    pub id: String,
    pub provider: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// The app's own `state`, handed back to it.
    pub app_state: String,
    /// The app's PKCE challenge, checked when it redeems its code.
    pub code_challenge: String,
    /// The nonce the provider's ID token must carry.
    pub nonce: String,
    /// The PKCE verifier of the service's own request to the provider.
    pub provider_verifier: String,
    pub expires_at: i64,
}

/// Stores a new request.
pub async fn insert<'c>(
    db: impl Executor<'c, Database = Any>,
    row: &OAuthRequestRow,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oauth_requests (id, provider, client_id, redirect_uri, app_state, \
         code_challenge, nonce, provider_verifier, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&row.id)
    .bind(&row.provider)
    .bind(&row.client_id)
    .bind(&row.redirect_uri)
    .bind(&row.app_state)
    .bind(&row.code_challenge)
    .bind(&row.nonce)
    .bind(&row.provider_verifier)
    .bind(now)
    .bind(row.expires_at)
    .execute(db)
    .await
    .map(drop)
}

/// Removes and returns the request `id` made for `provider` if it has not expired: each answer
/// is used once, and an answer arriving at another provider's callback leaves it alone.
pub async fn take<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    provider: &str,
    now: i64,
) -> sqlx::Result<Option<OAuthRequestRow>> {
    sqlx::query_as(
        "DELETE FROM oauth_requests WHERE id = $1 AND provider = $2 AND expires_at > $3 \
         RETURNING id, provider, client_id, redirect_uri, app_state, code_challenge, nonce, \
         provider_verifier, expires_at",
    )
    .bind(id)
    .bind(provider)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Forgets requests that can no longer be answered.
pub async fn delete_expired<'c>(
    db: impl Executor<'c, Database = Any>,
    now: i64,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM oauth_requests WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}
