//! `vaults` and `vault_items`: the account's key material and sealed vault state, its opaque item
//! blobs with the version each holds, and a per-account revision that moves by exactly one per
//! applied push. The service reads none of what it stores here.

use sqlx::{Any, AnyConnection, Executor, FromRow};

/// A vault's key material, revision and the sealed state of that revision (`None`: a vault of
/// the legacy protocol).
#[derive(Debug, Clone, FromRow)]
pub struct VaultRow {
    pub vault_id: String,
    pub wrapped_vault_key: Vec<u8>,
    pub salt: Vec<u8>,
    pub kdf_memory_kib: i64,
    pub kdf_iterations: i64,
    pub kdf_parallelism: i64,
    pub key_check: Option<Vec<u8>>,
    pub revision: i64,
    pub state: Option<Vec<u8>>,
}

/// One stored item; `blob` is `None` only for a deletion pushed with the legacy protocol.
#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    pub item_id: String,
    pub revision: i64,
    pub version_counter: Option<i64>,
    pub version_writer: Option<String>,
    pub blob: Option<Vec<u8>>,
}

/// Creates the account's vault at revision 0; false when it has one already.
pub async fn create<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    vault: &VaultRow,
    now: i64,
) -> sqlx::Result<bool> {
    sqlx::query(
        "INSERT INTO vaults (account_id, vault_id, wrapped_vault_key, salt, kdf_memory_kib, \
         kdf_iterations, kdf_parallelism, key_check, revision, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(&vault.vault_id)
    .bind(&vault.wrapped_vault_key)
    .bind(&vault.salt)
    .bind(vault.kdf_memory_kib)
    .bind(vault.kdf_iterations)
    .bind(vault.kdf_parallelism)
    .bind(&vault.key_check)
    .bind(&vault.state)
    .bind(now)
    .execute(db)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// The account's vault.
pub async fn get<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<Option<VaultRow>> {
    sqlx::query_as(
        "SELECT vault_id, wrapped_vault_key, salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, \
         key_check, revision, state FROM vaults WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(db)
    .await
}

/// The vault's current revision.
pub async fn revision<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT revision FROM vaults WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(db)
        .await
}

/// Up to `limit` items changed after `since`, by revision.
pub async fn changed_since<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    since: i64,
    limit: i64,
) -> sqlx::Result<Vec<ItemRow>> {
    sqlx::query_as(
        "SELECT item_id, revision, version_counter, version_writer, blob FROM vault_items \
         WHERE account_id = $1 AND revision > $2 ORDER BY revision, item_id LIMIT $3",
    )
    .bind(account_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Moves the revision on by one and returns it. As the push's first statement it takes the row
/// lock (PostgreSQL) or the write lock (SQLite), so concurrent pushes queue here: no gaps, no
/// duplicates.
pub async fn next_revision(db: &mut AnyConnection, account_id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE vaults SET revision = revision + 1 WHERE account_id = $1 RETURNING revision",
    )
    .bind(account_id)
    .fetch_optional(db)
    .await
}

/// Moves the revision from `base` to `base + 1` and stores `state` as that revision's, if the
/// vault is still at `base` (compare-and-swap, under the same locks as [`next_revision`]).
/// Returns the new revision, or `None` when the vault is elsewhere (or missing).
pub async fn advance_from(
    db: &mut AnyConnection,
    account_id: &str,
    base: i64,
    state: &[u8],
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE vaults SET revision = revision + 1, state = $3 \
         WHERE account_id = $1 AND revision = $2 RETURNING revision",
    )
    .bind(account_id)
    .bind(base)
    .bind(state)
    .fetch_optional(db)
    .await
}

/// Replaces the key material (within the push transaction that moved the revision).
pub async fn replace_key_material(
    db: &mut AnyConnection,
    account_id: &str,
    vault: &VaultRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE vaults SET wrapped_vault_key = $2, salt = $3, kdf_memory_kib = $4, kdf_iterations = $5, \
         kdf_parallelism = $6, key_check = $7 WHERE account_id = $1",
    )
    .bind(account_id)
    .bind(&vault.wrapped_vault_key)
    .bind(&vault.salt)
    .bind(vault.kdf_memory_kib)
    .bind(vault.kdf_iterations)
    .bind(vault.kdf_parallelism)
    .bind(&vault.key_check)
    .execute(db)
    .await
    .map(drop)
}

/// One item's current state.
pub async fn item(
    db: &mut AnyConnection,
    account_id: &str,
    item_id: &str,
) -> sqlx::Result<Option<ItemRow>> {
    sqlx::query_as(
        "SELECT item_id, revision, version_counter, version_writer, blob FROM vault_items \
         WHERE account_id = $1 AND item_id = $2",
    )
    .bind(account_id)
    .bind(item_id)
    .fetch_optional(db)
    .await
}

/// Writes an item (or its tombstone) at `revision`, with the version its blob holds.
pub async fn put_item(
    db: &mut AnyConnection,
    account_id: &str,
    item: &ItemRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO vault_items (account_id, item_id, revision, version_counter, version_writer, blob) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, item_id) DO UPDATE SET \
         revision = excluded.revision, version_counter = excluded.version_counter, \
         version_writer = excluded.version_writer, blob = excluded.blob",
    )
    .bind(account_id)
    .bind(&item.item_id)
    .bind(item.revision)
    .bind(item.version_counter)
    .bind(&item.version_writer)
    .bind(&item.blob)
    .execute(db)
    .await
    .map(drop)
}

/// Deletes the account's vault and items.
pub async fn delete_for_account(db: &mut AnyConnection, account_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM vault_items WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM vaults WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *db)
        .await
        .map(drop)
}
