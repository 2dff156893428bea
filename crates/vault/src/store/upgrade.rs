//! Vaults of the legacy item format (no versions, tombstones without a seal) brought up to this
//! one at their first unlock by this build: every item and tombstone is sealed anew with a first
//! version, all in one transaction, and goes to the service with the next sync. Items the
//! service already holds keep their revision, with the legacy version 0 as what it holds.

use rusqlite::params;
use uuid::Uuid;

use super::{classify, uuid_from_blob, Vault};
use crate::crypto::VaultKey;
use crate::error::Result;
use crate::version::ItemVersion;

/// The version the service is taken to hold of an item it got in the legacy format.
pub(crate) const LEGACY_VERSION: ItemVersion = ItemVersion {
    counter: 0,
    writer: Uuid::nil(),
};

/// Seals every row of the legacy format anew (once; a no-op afterwards).
pub(super) fn upgrade_legacy_items(vault: &mut Vault, vault_key: &VaultKey) -> Result<()> {
    type Row = (Vec<u8>, Option<Vec<u8>>, i64);
    let rows: Vec<Row> = {
        let mut stmt = vault
            .conn
            .prepare("SELECT id, blob, updated_at FROM items WHERE version_counter IS NULL")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| classify(&vault.path, e))?
            .collect::<rusqlite::Result<Vec<Row>>>()
            .map_err(|e| classify(&vault.path, e))?;
        rows
    };
    if rows.is_empty() {
        return Ok(());
    }
    let version = ItemVersion::next(None, vault.header.replica_id);
    let opener = vault.opener(vault_key);
    let mut sealed = Vec::with_capacity(rows.len());
    for (id, blob, updated_at) in rows {
        let item_id = uuid_from_blob(&id)?;
        let blob = match blob {
            None => vault.seal_deleted_with(vault_key, item_id, version, updated_at)?,
            Some(blob) => {
                let item = opener.open_live(item_id, &blob)?;
                vault.seal_live_with(vault_key, &item, version)?
            }
        };
        sealed.push((id, blob));
    }
    let tx = vault.conn.unchecked_transaction()?;
    for (id, blob) in sealed {
        tx.execute(
            "UPDATE items SET blob = ?2, version_counter = ?3, version_writer = ?4, dirty = 1,
                              synced_counter = CASE WHEN server_revision IS NULL THEN NULL ELSE ?5 END,
                              synced_writer = CASE WHEN server_revision IS NULL THEN NULL ELSE ?6 END
             WHERE id = ?1",
            params![
                id,
                blob,
                version.counter_column(),
                version.writer.as_bytes().as_slice(),
                LEGACY_VERSION.counter_column(),
                LEGACY_VERSION.writer.as_bytes().as_slice()
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use tempfile::TempDir;

    use super::super::schema::MIGRATIONS;
    use super::*;
    use crate::crypto::{
        derive_kek, derive_master_key, seal_item_as, wrap_vault_key, KdfParams, Key32,
        LEGACY_ITEM_FORMAT,
    };
    use crate::item::{Item, ItemContent, ItemDraft, Login};

    const PW: &[u8] = b"correct horse battery staple";

    fn login(title: &str) -> ItemDraft {
        ItemDraft {
            title: title.into(),
            content: ItemContent::Login(Login {
                username: "ada".into(),
                password: format!("{title}-password"),
                ..Login::default()
            }),
            favourite: true,
            folder: Some("Work".into()),
            tags: vec!["t".into()],
        }
    }

    /// A vault file as the build before item versions wrote it: schema 2, items of the legacy
    /// format (the item's JSON alone), a deletion as a NULL blob, synced with an account up to
    /// revision 3 with one local edit pending. Returns its live items and the deleted item's id.
    fn legacy_vault(path: &std::path::Path) -> (Vec<Item>, Uuid) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(&format!(
            "{} {} CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2);",
            MIGRATIONS[0], MIGRATIONS[1]
        ))
        .unwrap();
        let kdf = KdfParams::MINIMUM;
        let salt = [7u8; 16];
        let vault_id = Uuid::from_u128(0x5eed);
        let vault_key = VaultKey::from_key(Key32::from_bytes([42; 32]));
        let kek = derive_kek(&derive_master_key(PW, &salt, kdf).unwrap());
        let wrapped = wrap_vault_key(&vault_key, &kek, vault_id, kdf, &salt).unwrap();
        conn.execute(
            "INSERT INTO vault VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
            params![
                vault_id.as_bytes().as_slice(),
                kdf.memory_kib,
                kdf.iterations,
                kdf.parallelism,
                salt.as_slice(),
                wrapped
            ],
        )
        .unwrap();
        conn.execute("INSERT INTO sync_state VALUES (1, 'acct', 3)", [])
            .unwrap();
        let mut items = Vec::new();
        for (n, title) in ["GitHub", "Bank", "Notes"].iter().enumerate() {
            let item = Item::new(
                login(title),
                Uuid::from_u128(n as u128 + 1),
                1_700_000_000_000 + n as i64,
            );
            let json = serde_json::to_vec(&item).unwrap();
            let blob =
                seal_item_as(LEGACY_ITEM_FORMAT, &vault_key, vault_id, item.id, &json).unwrap();
            // The last one was edited here after its last sync.
            let dirty = n == 2;
            conn.execute(
                "INSERT INTO items VALUES (?1, ?2, 0, ?3, ?4, ?2, ?5)",
                params![
                    item.id.as_bytes().as_slice(),
                    blob,
                    item.updated_at,
                    n as i64 + 1,
                    dirty
                ],
            )
            .unwrap();
            items.push(item);
        }
        let deleted = Uuid::from_u128(99);
        conn.execute(
            "INSERT INTO items VALUES (?1, NULL, 1, 5, 3, NULL, 0)",
            [deleted.as_bytes().as_slice()],
        )
        .unwrap();
        (items, deleted)
    }

    #[test]
    fn a_legacy_vault_upgrades_at_its_first_unlock_and_loses_nothing() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("vault.sqlite");
        let (items, deleted) = legacy_vault(&path);

        let mut vault = Vault::open(&path).unwrap();
        assert_eq!(
            vault.sync_link().unwrap().unwrap().revision,
            3,
            "the schema moved, the sync position kept"
        );
        assert_eq!(
            vault.unlock(b"not the master password").unwrap_err().code(),
            "wrong_master_password"
        );
        vault.unlock(PW).unwrap();
        let mut now = vault.items().unwrap();
        now.sort_by_key(|item| item.id);
        assert_eq!(now, items, "every item, field for field");
        assert_eq!(vault.search("bank").unwrap().len(), 1);
        assert!(vault.key_material().key_check.is_some());

        let conn = Connection::open(&path).unwrap();
        type Row = (Vec<u8>, Option<Vec<u8>>, Option<i64>, Option<i64>, bool);
        let rows: Vec<Row> = conn
            .prepare(
                "SELECT id, blob, version_counter, synced_counter, dirty FROM items ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(rows.len(), 4);
        for (id, blob, version, synced, dirty) in &rows {
            let blob = blob.as_ref().expect("every row sealed, the tombstone too");
            assert_eq!(blob[0], crate::crypto::ITEM_FORMAT_VERSION);
            assert_eq!(*version, Some(1));
            assert_eq!(
                *synced,
                Some(0),
                "the service holds the legacy version of each"
            );
            assert!(dirty, "each goes up again in the new format");
            if id.as_slice() == deleted.as_bytes() {
                let opener = vault.opener(&vault.unlocked().unwrap().vault_key);
                assert!(matches!(
                    opener.open(deleted, blob).unwrap(),
                    crate::store::Opened::Deleted { deleted_at: 5, .. }
                ));
            }
        }
        assert_eq!(vault.pending_changes().unwrap().len(), 4);

        // Once: a second unlock seals nothing anew.
        drop(vault);
        let before: Vec<Vec<u8>> = conn
            .prepare("SELECT blob FROM items ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut again = Vault::open(&path).unwrap();
        again.unlock(PW).unwrap();
        let after: Vec<Vec<u8>> = conn
            .prepare("SELECT blob FROM items ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(before, after);
    }
}
