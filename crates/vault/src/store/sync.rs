//! The store's side of sync: which local changes wait to be pushed, recording what the service
//! accepted, and taking in items from the service. Merging a remote change into a local one is
//! the caller's job ([`crate::merge`]); this module only refuses to overwrite a local edit.

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::{classify, now_ms, uuid_from_blob, Vault};
use crate::error::Result;

/// A local change waiting to be pushed: the sealed item (or `None` for a deletion) and the
/// service revision it was based on (0 for an item the service has never seen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub item_id: Uuid,
    pub base_revision: i64,
    pub blob: Option<Vec<u8>>,
}

/// What [`Vault::apply_remote`] did with an item from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteApplied {
    /// Stored (or deleted) here; the search index follows.
    Stored,
    /// Already the state this device has (its own push coming back).
    AlreadyCurrent,
    /// The item was changed here too: nothing was overwritten; merge it.
    NeedsMerge,
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

    /// Takes in an item from the service at `revision` (`None` = deleted there). An item not
    /// changed here is replaced after its blob is checked to open under this vault's key; one
    /// changed here is left alone ([`RemoteApplied::NeedsMerge`]).
    pub fn apply_remote(
        &mut self,
        item_id: Uuid,
        revision: i64,
        blob: Option<&[u8]>,
    ) -> Result<RemoteApplied> {
        let local: Option<(bool, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT dirty, server_revision FROM items WHERE id = ?1",
                [item_id.as_bytes().as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        match local {
            Some((_, Some(known))) if known >= revision => {
                return Ok(RemoteApplied::AlreadyCurrent)
            }
            Some((true, _)) => return Ok(RemoteApplied::NeedsMerge),
            _ => {}
        }
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
        let index = &mut self.unlocked_mut()?.index;
        match &item {
            Some(item) => index.upsert(item),
            None => index.remove(item_id),
        }
        Ok(RemoteApplied::Stored)
    }
}
