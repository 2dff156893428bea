//! Schema migrations, applied in order inside one transaction and recorded in `schema_version`.

use std::path::Path;

use rusqlite::{OptionalExtension, Transaction};

use crate::error::{Result, VaultError};

/// Each entry migrates from version `index` to `index + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the vault header, items with their sync bookkeeping.
    "CREATE TABLE vault (
         id            BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
         kdf_memory_kib INTEGER NOT NULL,
         kdf_iterations INTEGER NOT NULL,
         kdf_parallelism INTEGER NOT NULL,
         kdf_salt      BLOB NOT NULL CHECK (length(kdf_salt) = 16),
         wrapped_vault_key BLOB NOT NULL,
         created_at    INTEGER NOT NULL
     );
     CREATE TABLE items (
         id              BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
         blob            BLOB,
         deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
         updated_at      INTEGER NOT NULL,
         server_revision INTEGER,
         base_blob       BLOB,
         dirty           INTEGER NOT NULL DEFAULT 1 CHECK (dirty IN (0, 1)),
         CHECK ((deleted = 1) = (blob IS NULL))
     );
     CREATE INDEX items_dirty ON items (dirty) WHERE dirty = 1;",
    // 2: which account this vault syncs with and how far it has pulled.
    "CREATE TABLE sync_state (
         id         INTEGER PRIMARY KEY CHECK (id = 1),
         account_id TEXT NOT NULL,
         revision   INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0)
     );",
    // 3: item versions and sealed tombstones (DESIGN §5a). `version_*` is the version `blob`
    // holds, `synced_*` the version the service holds as last verified (0: a legacy item); both
    // are NULL for rows of the legacy format until the first unlock seals them anew. The vault's
    // sealed state as last verified, the count and sum of the items it commits to, a master
    // password change waiting to be sent or made on another device (which, and when, until the
    // next unlock here), and the items that did not pass their checks.
    "ALTER TABLE vault ADD COLUMN key_check BLOB;
     ALTER TABLE vault ADD COLUMN replica_id BLOB;
     UPDATE vault SET replica_id = randomblob(16);
     CREATE TABLE items_v3 (
         id              BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
         blob            BLOB,
         deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
         updated_at      INTEGER NOT NULL,
         version_counter INTEGER,
         version_writer  BLOB,
         server_revision INTEGER,
         base_blob       BLOB,
         synced_counter  INTEGER,
         synced_writer   BLOB,
         dirty           INTEGER NOT NULL DEFAULT 1 CHECK (dirty IN (0, 1)),
         CHECK (blob IS NOT NULL OR (deleted = 1 AND version_counter IS NULL))
     );
     INSERT INTO items_v3 (id, blob, deleted, updated_at, server_revision, base_blob, dirty)
         SELECT id, blob, deleted, updated_at, server_revision, base_blob, dirty FROM items;
     DROP TABLE items;
     ALTER TABLE items_v3 RENAME TO items;
     CREATE INDEX items_dirty ON items (dirty) WHERE dirty = 1;
     CREATE INDEX items_legacy ON items (id) WHERE version_counter IS NULL;
     ALTER TABLE sync_state ADD COLUMN state BLOB;
     ALTER TABLE sync_state ADD COLUMN set_count INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE sync_state ADD COLUMN set_sum BLOB;
     ALTER TABLE sync_state ADD COLUMN key_change_pending INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE sync_state ADD COLUMN key_changed_by TEXT;
     ALTER TABLE sync_state ADD COLUMN key_changed_at INTEGER;
     CREATE TABLE quarantine (
         id              BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
         server_revision INTEGER NOT NULL,
         version_counter INTEGER NOT NULL,
         version_writer  BLOB NOT NULL,
         blob            BLOB,
         reason          TEXT NOT NULL,
         found_at        INTEGER NOT NULL
     );",
    // 4: the password-health index (`crate::health`): each live item's sealed password facts,
    // for the version of the item they describe, and the sealed results of the last leak check.
    "CREATE TABLE password_health (
         id              BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
         version_counter INTEGER NOT NULL,
         version_writer  BLOB NOT NULL CHECK (length(version_writer) = 16),
         sealed          BLOB NOT NULL
     );
     CREATE TABLE leak_check (
         id     INTEGER PRIMARY KEY CHECK (id = 1),
         sealed BLOB NOT NULL
     );",
];

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`CURRENT_VERSION`] inside the caller's transaction; refuses a file from a newer build.
pub(crate) fn migrate(tx: &Transaction<'_>, path: &Path) -> Result<()> {
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let found: i64 = tx
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    if found > CURRENT_VERSION {
        return Err(VaultError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: CURRENT_VERSION,
        });
    }
    if found == CURRENT_VERSION {
        return Ok(());
    }
    for migration in &MIGRATIONS[found as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.execute("DELETE FROM schema_version", [])?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES (?1)",
        [CURRENT_VERSION],
    )?;
    Ok(())
}
