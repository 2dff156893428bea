//! `access_tokens` and `refresh_tokens`: only hashes, each bound to one device. Signing a device
//! out also withdraws its suite token.

use sqlx::{Any, AnyConnection, Executor, FromRow};

/// Who an access token speaks for.
#[derive(Debug, Clone, FromRow)]
pub struct TokenOwner {
    pub device_id: String,
    pub account_id: String,
    pub expires_at: i64,
}

/// The two kinds of bearer token, each in its own table.
#[derive(Debug, Clone, Copy)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// Stores a new token hash for its owner.
pub async fn insert<'c>(
    db: impl Executor<'c, Database = Any>,
    kind: TokenKind,
    hash: &str,
    owner: &TokenOwner,
) -> sqlx::Result<()> {
    let sql = match kind {
        TokenKind::Access => {
            "INSERT INTO access_tokens (token_hash, device_id, account_id, expires_at) VALUES ($1, $2, $3, $4)"
        }
        TokenKind::Refresh => {
            "INSERT INTO refresh_tokens (token_hash, device_id, account_id, expires_at) VALUES ($1, $2, $3, $4)"
        }
    };
    sqlx::query(sql)
        .bind(hash)
        .bind(&owner.device_id)
        .bind(&owner.account_id)
        .bind(owner.expires_at)
        .execute(db)
        .await
        .map(drop)
}

/// The owner of an unexpired access token.
pub async fn access_owner<'c>(
    db: impl Executor<'c, Database = Any>,
    hash: &str,
    now: i64,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as("SELECT device_id, account_id, expires_at FROM access_tokens WHERE token_hash = $1 AND expires_at > $2")
        .bind(hash)
        .bind(now)
        .fetch_optional(db)
        .await
}

/// What presenting a refresh token found.
pub enum RefreshUse {
    /// A live token, now rotated (it never works again) with its sealed successor stored.
    Rotated(TokenOwner),
    /// A token that was rotated before: a client retrying within the grace period, or someone
    /// replaying it.
    Reused(RotatedToken),
    /// Unknown or expired.
    Invalid,
}

/// A rotated refresh token as stored.
#[derive(Debug, Clone, FromRow)]
pub struct RotatedToken {
    pub device_id: String,
    pub account_id: String,
    pub rotated_at: i64,
    /// The pair it was rotated into, sealed under a key derived from this token.
    pub successor: Option<String>,
}

/// Rotates a refresh token atomically, storing its sealed successor: only one caller can ever
/// win it; the others (waiting on the row) find it rotated.
pub async fn rotate_refresh(
    db: &mut AnyConnection,
    hash: &str,
    now: i64,
    successor: &str,
) -> sqlx::Result<RefreshUse> {
    let won: Option<TokenOwner> = sqlx::query_as(
        "UPDATE refresh_tokens SET rotated_at = $2, successor = $3 \
         WHERE token_hash = $1 AND rotated_at IS NULL AND expires_at > $2 \
         RETURNING device_id, account_id, expires_at",
    )
    .bind(hash)
    .bind(now)
    .bind(successor)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(owner) = won {
        return Ok(RefreshUse::Rotated(owner));
    }
    let replayed: Option<RotatedToken> = sqlx::query_as(
        "SELECT device_id, account_id, rotated_at, successor FROM refresh_tokens \
         WHERE token_hash = $1 AND rotated_at IS NOT NULL",
    )
    .bind(hash)
    .fetch_optional(&mut *db)
    .await?;
    Ok(replayed.map_or(RefreshUse::Invalid, RefreshUse::Reused))
}

/// Whether this refresh token is stored, unexpired and not rotated yet.
pub async fn refresh_is_live<'c>(
    db: impl Executor<'c, Database = Any>,
    hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT expires_at FROM refresh_tokens WHERE token_hash = $1 AND rotated_at IS NULL AND expires_at > $2",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// Deletes every token of a device: it is signed out everywhere at once.
pub async fn delete_for_device(db: &mut AnyConnection, device_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM access_tokens WHERE device_id = $1")
        .bind(device_id)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM refresh_tokens WHERE device_id = $1")
        .bind(device_id)
        .execute(&mut *db)
        .await?;
    super::suite_tokens::delete_for_device(&mut *db, device_id).await
}

/// Deletes every token of an account.
pub async fn delete_for_account(db: &mut AnyConnection, account_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM access_tokens WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM refresh_tokens WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *db)
        .await?;
    super::suite_tokens::delete_for_account(&mut *db, account_id).await
}

/// Forgets the successor pairs of tokens rotated before `before` (past their grace period).
pub async fn forget_successors(db: &mut AnyConnection, before: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE refresh_tokens SET successor = NULL WHERE successor IS NOT NULL AND rotated_at < $1")
        .bind(before)
        .execute(db)
        .await
        .map(drop)
}

/// Forgets expired tokens (rotated refresh tokens are kept until expiry to catch replays).
pub async fn prune(db: &mut AnyConnection, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM access_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM refresh_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *db)
        .await
        .map(drop)
}
