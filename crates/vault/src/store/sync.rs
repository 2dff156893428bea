//! The store's side of sync: which account the vault syncs with and how far it has pulled, which
//! local changes wait to be pushed, recording what the service accepted, and taking in items from
//! the service — merged field by field ([`crate::merge_item`]) when they changed here too.

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::{classify, now_ms, uuid_from_blob, Vault};
use crate::error::{Result, VaultError};
use crate::item::Item;
use crate::merge_item::merge_items;

/// The account a vault syncs with, and the service revision it has taken in up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncLink {
    pub account_id: String,
    pub revision: i64,
}

/// One item as the service holds it (`blob: None` = deleted there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVersion {
    pub item_id: Uuid,
    pub revision: i64,
    pub blob: Option<Vec<u8>>,
}

/// What taking in a remote version did here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored (or deleted) here; there was no local change.
    Stored,
    /// This device already had it (its own push coming back).
    AlreadyCurrent,
    /// Both changed the item: merged; `conflicts` local values now live only in its history.
    /// The merge is pending, to be pushed.
    Merged { conflicts: usize },
    /// Deleted there but edited here: the edit stays and will be pushed again.
    KeptLocalEdit,
    /// Deleted here but edited there: the edit wins, the item is back.
    RestoredRemoteEdit,
    /// Deleted on both sides.
    BothDeleted,
}

/// How the search index must follow a stored change, applied once the change is committed.
enum IndexChange {
    None,
    Upsert(Box<Item>),
    Remove(Uuid),
}

/// A local change waiting to be pushed: the sealed item (or `None` for a deletion) and the
/// service revision it was based on (0 for an item the service has never seen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub item_id: Uuid,
    pub base_revision: i64,
    pub blob: Option<Vec<u8>>,
}

impl Vault {
    /// Every item changed here since it was last synced, oldest change first. Ciphertext only,
    /// so a locked vault can push too.
    pub fn pending_changes(&self) -> Result<Vec<PendingChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, server_revision, blob FROM items WHERE dirty = 1 ORDER BY updated_at, id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                ))
            })
            .map_err(|e| classify(&self.path, e))?;
        let mut pending = Vec::new();
        for row in rows {
            let (id, revision, blob) = row.map_err(|e| classify(&self.path, e))?;
            pending.push(PendingChange {
                item_id: uuid_from_blob(&id)?,
                base_revision: revision.unwrap_or(0),
                blob,
            });
        }
        Ok(pending)
    }

    /// Records that the service stored `pushed` for this item at `revision`. Returns false when
    /// the item changed here again meanwhile: it stays pending, now based on `revision`.
    pub fn mark_pushed(
        &mut self,
        item_id: Uuid,
        revision: i64,
        pushed: Option<&[u8]>,
    ) -> Result<bool> {
        self.conn.execute(
            "UPDATE items SET server_revision = ?2, base_blob = ?3,
                              dirty = CASE WHEN blob IS ?3 THEN 0 ELSE 1 END
             WHERE id = ?1",
            params![item_id.as_bytes().as_slice(), revision, pushed],
        )?;
        let dirty: Option<bool> = self
            .conn
            .query_row(
                "SELECT dirty FROM items WHERE id = ?1",
                [item_id.as_bytes().as_slice()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        Ok(dirty == Some(false))
    }

    /// Takes in one remote version, merging it into a local change of the same item.
    pub fn receive(&mut self, remote: &RemoteVersion) -> Result<Received> {
        let (received, change) = self.receive_unindexed(remote)?;
        self.apply_index(change)?;
        Ok(received)
    }

    /// Takes in a page of remote versions and records `revision` as pulled, all in one
    /// transaction: a failure (an item that does not open under this vault's key) leaves the
    /// vault and its pull position as they were.
    pub fn receive_page(
        &mut self,
        remote: &[RemoteVersion],
        revision: i64,
    ) -> Result<Vec<Received>> {
        self.unlocked()?;
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let outcome = (|| {
            let mut received = Vec::with_capacity(remote.len());
            let mut changes = Vec::with_capacity(remote.len());
            for version in remote {
                let (r, change) = self.receive_unindexed(version)?;
                received.push(r);
                changes.push(change);
            }
            let moved = self.conn.execute(
                "UPDATE sync_state SET revision = max(revision, ?1) WHERE id = 1",
                [revision],
            )?;
            if moved != 1 {
                return Err(VaultError::NotLinked);
            }
            Ok((received, changes))
        })();
        match outcome {
            Ok((received, changes)) => {
                self.conn.execute_batch("COMMIT")?;
                for change in changes {
                    self.apply_index(change)?;
                }
                Ok(received)
            }
            Err(err) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(err)
            }
        }
    }

    /// The account this vault syncs with, if any.
    pub fn sync_link(&self) -> Result<Option<SyncLink>> {
        self.conn
            .query_row(
                "SELECT account_id, revision FROM sync_state WHERE id = 1",
                [],
                |r| {
                    Ok(SyncLink {
                        account_id: r.get(0)?,
                        revision: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| classify(&self.path, e))
    }

    /// Links this vault to an account (nothing pulled yet); refuses a vault linked to another.
    pub fn link_account(&mut self, account_id: &str) -> Result<()> {
        match self.sync_link()? {
            Some(link) if link.account_id == account_id => Ok(()),
            Some(_) => Err(VaultError::LinkedElsewhere),
            None => {
                self.conn.execute(
                    "INSERT INTO sync_state (id, account_id, revision) VALUES (1, ?1, 0)",
                    [account_id],
                )?;
                Ok(())
            }
        }
    }

    /// Ends the link with the account and keeps every item as a local one: all live items
    /// become unsynced changes (so a later connection uploads them) and tombstones go.
    pub fn unlink_account(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "BEGIN IMMEDIATE;
             DELETE FROM sync_state;
             DELETE FROM items WHERE deleted = 1;
             UPDATE items SET server_revision = NULL, base_blob = NULL, dirty = 1;
             COMMIT;",
        )?;
        Ok(())
    }

    /// Clears an item's review flag once the person has looked at what a sync kept in its history.
    pub fn mark_reviewed(&mut self, item_id: Uuid) -> Result<Item> {
        let mut item = self.get(item_id)?;
        if !item.needs_review {
            return Ok(item);
        }
        item.needs_review = false;
        item.updated_at = now_ms().max(item.updated_at);
        let blob = self.seal(&item)?;
        self.conn.execute(
            "UPDATE items SET blob = ?2, updated_at = ?3, dirty = 1 WHERE id = ?1 AND deleted = 0",
            params![item_id.as_bytes().as_slice(), blob, item.updated_at],
        )?;
        self.unlocked_mut()?.index.upsert(&item);
        Ok(item)
    }

    fn sync_row(&self, item_id: Uuid) -> Result<Option<SyncRow>> {
        self.conn
            .query_row(
                "SELECT blob, base_blob, dirty, server_revision FROM items WHERE id = ?1",
                [item_id.as_bytes().as_slice()],
                |r| {
                    Ok(SyncRow {
                        blob: r.get(0)?,
                        base_blob: r.get(1)?,
                        dirty: r.get(2)?,
                        server_revision: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| classify(&self.path, e))
    }

    fn receive_unindexed(&mut self, remote: &RemoteVersion) -> Result<(Received, IndexChange)> {
        let RemoteVersion {
            item_id,
            revision,
            blob,
        } = remote;
        let (item_id, revision, blob) = (*item_id, *revision, blob.as_deref());
        let Some(local) = self.sync_row(item_id)? else {
            return Ok((
                Received::Stored,
                self.store_remote(item_id, revision, blob)?,
            ));
        };
        if revision == 0 && blob.is_none() {
            // The service has never had this item (or keeps no trace of it): a local version
            // is pushed again as new; without one there is nothing to do.
            self.conn.execute(
                "UPDATE items SET server_revision = NULL, base_blob = NULL WHERE id = ?1 AND dirty = 1",
                [item_id.as_bytes().as_slice()],
            )?;
            return Ok((Received::KeptLocalEdit, IndexChange::None));
        }
        if local.server_revision.is_some_and(|known| known >= revision) {
            return Ok((Received::AlreadyCurrent, IndexChange::None));
        }
        if !local.dirty {
            return Ok((
                Received::Stored,
                self.store_remote(item_id, revision, blob)?,
            ));
        }
        let id = item_id.as_bytes().as_slice();
        match (local.blob.as_deref(), blob) {
            (None, None) => {
                self.conn.execute(
                    "UPDATE items SET server_revision = ?2, base_blob = NULL, dirty = 0 WHERE id = ?1",
                    params![id, revision],
                )?;
                Ok((Received::BothDeleted, IndexChange::None))
            }
            (None, Some(_)) => Ok((
                Received::RestoredRemoteEdit,
                self.store_remote(item_id, revision, blob)?,
            )),
            (Some(_), None) => {
                self.conn.execute(
                    "UPDATE items SET server_revision = ?2, base_blob = NULL, dirty = 1 WHERE id = ?1",
                    params![id, revision],
                )?;
                Ok((Received::KeptLocalEdit, IndexChange::None))
            }
            (Some(local_blob), Some(remote_blob)) => {
                let opener = self.opener(&self.unlocked()?.vault_key);
                let local_item = opener.open(item_id, local_blob)?;
                let remote_item = opener.open(item_id, remote_blob)?;
                // A base that no longer opens (it should) only makes the merge keep more.
                let base_item = local
                    .base_blob
                    .as_deref()
                    .and_then(|b| opener.open(item_id, b).ok());
                let merged = merge_items(base_item.as_ref(), &local_item, &remote_item, now_ms());
                if merged.item == remote_item {
                    return Ok((
                        Received::Merged { conflicts: 0 },
                        self.store_remote(item_id, revision, blob)?,
                    ));
                }
                let sealed = self.seal(&merged.item)?;
                self.conn.execute(
                    "UPDATE items SET blob = ?2, updated_at = ?3, server_revision = ?4, base_blob = ?5, dirty = 1
                     WHERE id = ?1",
                    params![id, sealed, merged.item.updated_at, revision, remote_blob],
                )?;
                Ok((
                    Received::Merged {
                        conflicts: merged.conflicts,
                    },
                    IndexChange::Upsert(Box::new(merged.item)),
                ))
            }
        }
    }

    /// Stores the remote version as this device's synced state (checked to open first).
    fn store_remote(
        &mut self,
        item_id: Uuid,
        revision: i64,
        blob: Option<&[u8]>,
    ) -> Result<IndexChange> {
        let item = match blob {
            Some(blob) => Some(
                self.opener(&self.unlocked()?.vault_key)
                    .open(item_id, blob)?,
            ),
            None => None,
        };
        self.conn.execute(
            "INSERT INTO items (id, blob, deleted, updated_at, server_revision, base_blob, dirty)
             VALUES (?1, ?2, ?3, ?4, ?5, ?2, 0)
             ON CONFLICT (id) DO UPDATE SET blob = excluded.blob, deleted = excluded.deleted,
                 updated_at = excluded.updated_at, server_revision = excluded.server_revision,
                 base_blob = excluded.base_blob, dirty = 0",
            params![
                item_id.as_bytes().as_slice(),
                blob,
                blob.is_none(),
                item.as_ref().map_or_else(now_ms, |item| item.updated_at),
                revision
            ],
        )?;
        Ok(match item {
            Some(item) => IndexChange::Upsert(Box::new(item)),
            None => IndexChange::Remove(item_id),
        })
    }

    fn apply_index(&mut self, change: IndexChange) -> Result<()> {
        let index = &mut self.unlocked_mut()?.index;
        match change {
            IndexChange::None => {}
            IndexChange::Upsert(item) => index.upsert(&item),
            IndexChange::Remove(id) => index.remove(id),
        }
        Ok(())
    }
}

/// An item row's sync bookkeeping.
struct SyncRow {
    blob: Option<Vec<u8>>,
    base_blob: Option<Vec<u8>>,
    dirty: bool,
    server_revision: Option<i64>,
}
