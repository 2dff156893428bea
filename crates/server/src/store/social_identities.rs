//! `social_identities`: which Keyhaven Account a provider identity (an issuer's subject) signs
//! in to.

use sqlx::{Any, AnyConnection, Executor, FromRow};

/// One linked identity of an account.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IdentityRow {
    /// The issuer as [`crate::social::issuer_key`] writes it.
    pub issuer: String,
    pub subject: String,
    /// The configured provider name it was linked with ("google").
    pub provider: String,
    pub created_at: i64,
}

/// The account linked to `subject` at `issuer`, if any.
pub async fn account_for<'c>(
    db: impl Executor<'c, Database = Any>,
    issuer: &str,
    subject: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT account_id FROM social_identities WHERE issuer = $1 AND subject = $2",
    )
    .bind(issuer)
    .bind(subject)
    .fetch_optional(db)
    .await
}

/// Links `subject` at `issuer` (configured as `provider`) to an account; false when the
/// identity was linked already (to this account or another: [`account_for`] says which).
pub async fn link<'c>(
    db: impl Executor<'c, Database = Any>,
    identity: &IdentityRow,
    account_id: &str,
) -> sqlx::Result<bool> {
    sqlx::query(
        "INSERT INTO social_identities (issuer, subject, provider, account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, subject) DO NOTHING",
    )
    .bind(&identity.issuer)
    .bind(&identity.subject)
    .bind(&identity.provider)
    .bind(account_id)
    .bind(identity.created_at)
    .execute(db)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Links the identity to `account_id` unless another account has it: true when it signs in to
/// `account_id` now (newly linked, or linked before), false when it is another account's.
pub async fn link_to(
    conn: &mut AnyConnection,
    identity: &IdentityRow,
    account_id: &str,
) -> sqlx::Result<bool> {
    if link(&mut *conn, identity, account_id).await? {
        return Ok(true);
    }
    let owner = account_for(&mut *conn, &identity.issuer, &identity.subject).await?;
    Ok(owner.as_deref() == Some(account_id))
}

/// The account's linked identities, oldest first.
pub async fn for_account<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<Vec<IdentityRow>> {
    sqlx::query_as(
        "SELECT issuer, subject, provider, created_at FROM social_identities \
         WHERE account_id = $1 ORDER BY created_at, provider, subject",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// Unlinks one identity of the account; false when it has no such identity.
pub async fn unlink<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    issuer: &str,
    subject: &str,
) -> sqlx::Result<bool> {
    sqlx::query(
        "DELETE FROM social_identities WHERE account_id = $1 AND issuer = $2 AND subject = $3",
    )
    .bind(account_id)
    .bind(issuer)
    .bind(subject)
    .execute(db)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Gives identities linked before issuers were recorded (migration 0008) the issuer the
/// provider `name` is configured with now.
pub async fn resolve_legacy<'c>(
    db: impl Executor<'c, Database = Any>,
    name: &str,
    issuer: &str,
) -> sqlx::Result<u64> {
    sqlx::query("UPDATE social_identities SET issuer = $1 WHERE issuer = $2")
        .bind(issuer)
        .bind(format!("unresolved:{name}"))
        .execute(db)
        .await
        .map(|r| r.rows_affected())
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
