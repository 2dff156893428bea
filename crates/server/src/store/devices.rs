//! `devices`: each signed-in app instance of an account.

use sqlx::{Any, Executor, FromRow};

/// A device as stored.
#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// A device about to be created.
pub struct NewDevice<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub platform: &'a str,
    pub machine_hash: &'a str,
    pub machine_user_hash: &'a str,
    pub now: i64,
}

/// Creates a device.
pub async fn insert<'c>(
    db: impl Executor<'c, Database = Any>,
    new: NewDevice<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO devices (id, account_id, name, platform, machine_hash, machine_user_hash, \
         created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(new.id)
    .bind(new.account_id)
    .bind(new.name)
    .bind(new.platform)
    .bind(new.machine_hash)
    .bind(new.machine_user_hash)
    .bind(new.now)
    .execute(db)
    .await
    .map(drop)
}

/// Whether another OS user of the same machine has a live device on this account.
pub async fn other_os_user_connected<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    machine_hash: &str,
    machine_user_hash: &str,
) -> sqlx::Result<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM devices WHERE account_id = $1 AND machine_hash = $2 \
         AND machine_user_hash <> $3 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(machine_hash)
    .bind(machine_user_hash)
    .fetch_one(db)
    .await?;
    Ok(count > 0)
}

/// The machine hash a device registered with.
pub async fn machine_hash<'c>(
    db: impl Executor<'c, Database = Any>,
    device_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT machine_hash FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(db)
        .await
}

/// The account's live devices, oldest first.
pub async fn live<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<Vec<DeviceRow>> {
    sqlx::query_as(
        "SELECT id, name, platform, created_at, last_seen_at FROM devices \
         WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// Notes activity (sign-in, refresh).
pub async fn touch<'c>(
    db: impl Executor<'c, Database = Any>,
    id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE devices SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

/// Marks a live device of the account revoked; false when there is none with this id.
pub async fn mark_revoked<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    sqlx::query("UPDATE devices SET revoked_at = $3 WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(account_id)
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(|done| done.rows_affected() == 1)
}

/// The ids of the account's live devices other than `keep`.
pub async fn others<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    keep: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM devices WHERE account_id = $1 AND id <> $2 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(keep)
    .fetch_all(db)
    .await
}

/// Deletes the account's devices.
pub async fn delete_for_account<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM devices WHERE account_id = $1")
        .bind(account_id)
        .execute(db)
        .await
        .map(drop)
}
