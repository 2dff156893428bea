//! `social_identities`: which Keyhaven Account a provider identity signs in to.

use sqlx::{Any, Executor};

/// The account linked to `subject` at `provider`, if any.
pub async fn account_for<'c>(
    db: impl Executor<'c, Database = Any>,
    provider: &str,
    subject: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT account_id FROM social_identities WHERE provider = $1 AND subject = $2",
    )
    .bind(provider)
    .bind(subject)
    .fetch_optional(db)
    .await
}

/// Links `subject` at `provider` to an account.
pub async fn link<'c>(
    db: impl Executor<'c, Database = Any>,
    provider: &str,
    subject: &str,
    account_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO social_identities (provider, subject, account_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(provider)
    .bind(subject)
    .bind(account_id)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

/// Unlinks every provider identity of an account (the account is being deleted).
pub async fn delete_for_account<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM social_identities WHERE account_id = $1")
        .bind(account_id)
        .execute(db)
        .await
        .map(drop)
}
