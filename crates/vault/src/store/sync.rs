//! The store's side of sync (DESIGN §5, §5a): which account the vault syncs with and what it last
//! verified there; the local changes a push sends, with the sealed state of the vault after them;
//! and a pull, checked against the vault's sealed state and against what this device has seen
//! before anything is written, then merged field by field ([`crate::merge_item`]) where it
//! changed here too. An item whose content fails its own checks is quarantined; the rest goes in.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::upgrade::LEGACY_VERSION;
use super::{classify, now_ms, uuid_from_blob, KeyMaterial, Opened, Vault};
use crate::error::{Result, VaultError};
use crate::item::Item;
use crate::merge_item::merge_items;
use crate::state::{
    key_material_hash, open_state, seal_state, SetCommitment, StateKeys, VaultState,
};
use crate::version::ItemVersion;

/// The account a vault syncs with, and the service revision it has taken in up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncLink {
    pub account_id: String,
    pub revision: i64,
}

/// One item as the service serves it: the revision that last changed it, the version the service
/// says it holds, and the sealed blob (`None` only from a service of the legacy protocol).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVersion {
    pub item_id: Uuid,
    pub revision: i64,
    pub version: Option<ItemVersion>,
    pub blob: Option<Vec<u8>>,
}

/// Everything one pull brought: the items changed after this vault's revision, the vault's
/// revision, and from a service that keeps them the sealed state of that revision and the key
/// material, read together with the items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub revision: i64,
    pub items: Vec<RemoteVersion>,
    pub state: Option<Vec<u8>>,
    pub key_material: Option<KeyMaterial>,
}

/// What taking in one remote version did here.
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
    /// Its content did not pass its checks: kept aside, and this device's copy is unchanged.
    Quarantined,
}

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Each item taken in, by id.
    pub received: Vec<(Uuid, Received)>,
    /// Another device changed the master password: the next unlock here asks for the new one.
    pub key_changed: bool,
    /// Whether the service keeps the vault's sealed state (no: a vault of the legacy protocol,
    /// which this device upgrades once everything is pushed).
    pub service_has_state: bool,
}

/// A local change waiting to be pushed: the item's sealed version (a tombstone for a deletion),
/// the version it holds, and the service revision it is based on (0 for an item the service
/// has never had).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub item_id: Uuid,
    pub base_revision: i64,
    pub version: ItemVersion,
    pub blob: Vec<u8>,
}

/// One push as prepared: the changes and, for a service that keeps it, the sealed state of the
/// vault once they are applied (revision `base_revision + 1`); with `key_material`, a changed
/// master password (or the first sealed state of an upgraded vault) and no items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPlan {
    pub base_revision: i64,
    pub changes: Vec<PendingChange>,
    pub state: Option<Vec<u8>>,
    pub key_material: Option<KeyMaterial>,
    items: SetCommitment,
}

/// When and where the vault last changed, from its sealed state (the service cannot forge it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastChange {
    pub revision: i64,
    /// Milliseconds since the Unix epoch, by the writing device's clock.
    pub at: i64,
    pub device_name: String,
}

/// An item from the service that did not pass its checks, kept aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedItem {
    pub item_id: Uuid,
    /// What failed, in words.
    pub reason: String,
    /// Milliseconds since the Unix epoch.
    pub found_at: i64,
}

/// How the search index must follow a stored change, applied once the change is committed.
enum IndexChange {
    None,
    Upsert(Box<Item>),
    Remove(Uuid),
}

/// An item row's sync bookkeeping.
struct SyncRow {
    blob: Option<Vec<u8>>,
    base_blob: Option<Vec<u8>>,
    dirty: bool,
}

impl Vault {
    /// Every item changed here since it was last synced, oldest change first.
    pub fn pending_changes(&self) -> Result<Vec<PendingChange>> {
        self.dirty_rows(i64::MAX)
    }

    /// How many changes wait to reach the service (items, and a changed master password); works
    /// on a locked vault.
    pub fn pending_count(&self) -> Result<usize> {
        let items: i64 = self
            .conn
            .query_row("SELECT count(*) FROM items WHERE dirty = 1", [], |r| {
                r.get(0)
            })
            .map_err(|e| classify(&self.path, e))?;
        let key: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM sync_state WHERE key_change_pending = 1",
                [],
                |r| r.get(0),
            )
            .map_err(|e| classify(&self.path, e))?;
        Ok(usize::try_from(items + key).unwrap_or(usize::MAX))
    }

    fn dirty_rows(&self, limit: i64) -> Result<Vec<PendingChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, server_revision, blob, version_counter, version_writer FROM items
             WHERE dirty = 1 AND version_counter IS NOT NULL ORDER BY updated_at, id LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    ItemVersion::from_columns(r.get(3)?, r.get(4)?),
                ))
            })
            .map_err(|e| classify(&self.path, e))?;
        let mut pending = Vec::new();
        for row in rows {
            let (id, revision, blob, version) = row.map_err(|e| classify(&self.path, e))?;
            let (Some(blob), Some(version)) = (blob, version) else {
                continue;
            };
            pending.push(PendingChange {
                item_id: uuid_from_blob(&id)?,
                base_revision: revision.unwrap_or(0),
                version,
                blob,
            });
        }
        Ok(pending)
    }

    /// The next push: up to `limit` local changes and, when the service keeps the vault's sealed
    /// state, the state after them, sealed here as written by `device_name`. `None`: nothing to push.
    pub fn prepare_push(&self, limit: usize, device_name: &str) -> Result<Option<PushPlan>> {
        let keys = StateKeys::of(&self.unlocked()?.vault_key);
        let link = self.sync_link()?.ok_or(VaultError::NotLinked)?;
        let changes = self.dirty_rows(i64::try_from(limit).unwrap_or(i64::MAX))?;
        if changes.is_empty() {
            return Ok(None);
        }
        let Some(seen) = self.verified_state(&keys, link.revision)? else {
            return Ok(Some(PushPlan {
                base_revision: link.revision,
                changes,
                state: None,
                key_material: None,
                items: SetCommitment::default(),
            }));
        };
        let mut items = self.synced_commitment()?;
        for change in &changes {
            let new = keys.element(self.id(), change.item_id, change.version);
            match self.synced_version(change.item_id)? {
                Some(old) => items.replace(&keys.element(self.id(), change.item_id, old), &new),
                None => items.insert(&new),
            }
        }
        let state = self.seal_next_state(
            &keys,
            link.revision,
            items,
            seen.key_material_hash,
            device_name,
        )?;
        Ok(Some(PushPlan {
            base_revision: link.revision,
            changes,
            state: Some(state),
            key_material: None,
            items,
        }))
    }

    /// The push that sends a changed master password, or the first sealed state of a vault the
    /// service holds in the legacy protocol once every item went up anew: this vault's key
    /// material with the state of the same items. `None`: nothing of the kind to send.
    pub fn prepare_key_push(&self, device_name: &str) -> Result<Option<PushPlan>> {
        let keys = StateKeys::of(&self.unlocked()?.vault_key);
        let link = self.sync_link()?.ok_or(VaultError::NotLinked)?;
        let items = match self.verified_state(&keys, link.revision)? {
            Some(_) if self.key_change_pending()? => self.synced_commitment()?,
            Some(_) => return Ok(None),
            None => {
                let legacy_left: i64 = self.conn.query_row(
                    "SELECT count(*) FROM items WHERE dirty = 1 OR version_counter IS NULL OR synced_counter = 0",
                    [],
                    |r| r.get(0),
                )?;
                if legacy_left > 0 {
                    return Ok(None);
                }
                self.full_synced_commitment(&keys)?
            }
        };
        let material = self.key_material();
        let state = self.seal_next_state(
            &keys,
            link.revision,
            items,
            key_material_hash(&material),
            device_name,
        )?;
        Ok(Some(PushPlan {
            base_revision: link.revision,
            changes: Vec::new(),
            state: Some(state),
            key_material: Some(material),
            items,
        }))
    }

    /// The sealed state of an account's new, empty cloud vault (revision 0), as its first device
    /// creates it.
    pub fn first_state(&self, device_name: &str) -> Result<Vec<u8>> {
        let keys = StateKeys::of(&self.unlocked()?.vault_key);
        let state = VaultState {
            vault_id: self.id(),
            revision: 0,
            items: SetCommitment::default(),
            key_material_hash: key_material_hash(&self.key_material()),
            writer: self.replica_id(),
            writer_name: device_name.to_owned(),
            written_at: now_ms(),
        };
        seal_state(&keys, &state)
    }

    /// Records that the account's new cloud vault was created with `state` ([`Vault::first_state`]).
    pub fn cloud_vault_created(&mut self, state: &[u8]) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE sync_state SET state = ?1, set_count = 0, set_sum = NULL WHERE id = 1 AND revision = 0",
            [state],
        )?;
        if changed != 1 {
            return Err(VaultError::NotLinked);
        }
        Ok(())
    }

    fn seal_next_state(
        &self,
        keys: &StateKeys,
        base_revision: i64,
        items: SetCommitment,
        key_material_hash: [u8; 32],
        device_name: &str,
    ) -> Result<Vec<u8>> {
        seal_state(
            keys,
            &VaultState {
                vault_id: self.id(),
                revision: base_revision + 1,
                items,
                key_material_hash,
                writer: self.replica_id(),
                writer_name: device_name.to_owned(),
                written_at: now_ms(),
            },
        )
    }

    /// Records that the service applied `plan` at `revision`. A change edited here again
    /// meanwhile stays pending, now based on `revision`.
    pub fn pushed(&mut self, plan: &PushPlan, revision: i64) -> Result<()> {
        if plan.state.is_some() && revision != plan.base_revision + 1 {
            return Err(VaultError::ServiceStateMismatch(format!(
                "it stored a push based on revision {} as revision {revision}",
                plan.base_revision
            )));
        }
        let tx = self.conn.unchecked_transaction()?;
        for change in &plan.changes {
            let id = change.item_id.as_bytes().as_slice();
            tx.execute(
                "UPDATE items SET server_revision = ?2, base_blob = ?3, synced_counter = ?4, synced_writer = ?5,
                                  dirty = CASE WHEN blob IS ?3 THEN 0 ELSE 1 END
                 WHERE id = ?1",
                params![
                    id,
                    revision,
                    change.blob,
                    change.version.counter_column(),
                    change.version.writer.as_bytes().as_slice()
                ],
            )?;
            tx.execute("DELETE FROM quarantine WHERE id = ?1", [id])?;
        }
        if let Some(state) = &plan.state {
            tx.execute(
                "UPDATE sync_state SET revision = ?1, state = ?2, set_count = ?3, set_sum = ?4 WHERE id = 1",
                params![
                    revision,
                    state,
                    plan.items.count_column(),
                    plan.items.sum.as_slice()
                ],
            )?;
        }
        if plan.key_material.as_ref() == Some(&self.key_material()) {
            tx.execute("UPDATE sync_state SET key_change_pending = 0", [])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes in a pull. From a service that keeps the vault's sealed state, nothing is written
    /// unless the pull matches that state and goes on from the newest state this device has
    /// verified: any other answer fails naming the service, and this vault stays as it was.
    pub fn receive(&mut self, pull: &Pull) -> Result<PullReport> {
        let keys = StateKeys::of(&self.unlocked()?.vault_key);
        let link = self.sync_link()?.ok_or(VaultError::NotLinked)?;
        let mut latest: BTreeMap<Uuid, &RemoteVersion> = BTreeMap::new();
        for remote in &pull.items {
            let newer = latest
                .get(&remote.item_id)
                .is_none_or(|known| known.revision < remote.revision);
            if newer {
                latest.insert(remote.item_id, remote);
            }
        }
        let seen = self.verified_state(&keys, link.revision)?;
        if pull.revision < link.revision {
            return Err(VaultError::ServiceRolledBack {
                seen: link.revision,
                served: pull.revision,
            });
        }
        let Some(sealed) = &pull.state else {
            if seen.is_some() {
                return Err(VaultError::ServiceStateMissing);
            }
            let changes: Vec<_> = latest.into_values().map(|r| (r, r.version)).collect();
            return self.apply(pull, &changes, None, false);
        };
        let state = open_state(&keys, self.id(), pull.revision, sealed).map_err(|_| {
            VaultError::ServiceStateMismatch(
                "its sealed state does not open under this vault's key".into(),
            )
        })?;
        if seen.is_some()
            && pull.revision == link.revision
            && self.stored_state()?.as_deref() != Some(sealed)
        {
            return Err(VaultError::ServiceStateMismatch(format!(
                "it shows another sealed state for revision {} than the one this computer verified",
                pull.revision
            )));
        }
        let served = pull
            .key_material
            .as_ref()
            .ok_or(VaultError::ServiceKeyMaterialMismatch)?;
        if served.vault_id != self.id() || key_material_hash(served) != state.key_material_hash {
            return Err(VaultError::ServiceKeyMaterialMismatch);
        }
        let key_changed = state.key_material_hash != key_material_hash(&self.key_material())
            && !self.key_change_pending()?;

        let mut items = match seen {
            Some(_) => self.synced_commitment()?,
            None => self.full_synced_commitment(&keys)?,
        };
        let mut changes = Vec::with_capacity(latest.len());
        for remote in latest.into_values() {
            let id = remote.item_id;
            if remote.revision <= link.revision || remote.revision > pull.revision {
                return Err(VaultError::ServiceStateMismatch(format!(
                    "item {id} comes at revision {}, outside the changes asked for",
                    remote.revision
                )));
            }
            let version = remote.version.ok_or_else(|| {
                VaultError::ServiceStateMismatch(format!("item {id} comes without its version"))
            })?;
            let new = keys.element(self.id(), id, version);
            match self.synced_version(id)? {
                Some(old) if version < old => {
                    return Err(VaultError::ServiceStateMismatch(format!(
                        "item {id} is an older version than this computer has already verified"
                    )))
                }
                Some(old) if version == old => continue,
                Some(old) => items.replace(&keys.element(self.id(), id, old), &new),
                None => items.insert(&new),
            }
            changes.push((remote, Some(version)));
        }
        if items != state.items {
            return Err(VaultError::ServiceStateMismatch(format!(
                "the items it sent do not add up to its sealed state ({} items there, {} here)",
                state.items.count, items.count
            )));
        }
        let verified = Verified {
            sealed,
            items,
            key: key_changed.then_some(served),
            state,
        };
        self.apply(pull, &changes, Some(verified), key_changed)
    }

    /// Writes a pull that passed its checks (or, from a legacy service, had none to pass), in one
    /// transaction, then brings the search index along.
    fn apply(
        &mut self,
        pull: &Pull,
        changes: &[(&RemoteVersion, Option<ItemVersion>)],
        verified: Option<Verified<'_>>,
        key_changed: bool,
    ) -> Result<PullReport> {
        let mut report = PullReport {
            service_has_state: verified.is_some(),
            key_changed,
            ..PullReport::default()
        };
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let outcome = (|| {
            let quarantine_empty =
                self.conn
                    .query_row("SELECT NOT EXISTS (SELECT 1 FROM quarantine)", [], |r| {
                        r.get::<_, bool>(0)
                    })?;
            let mut index = Vec::with_capacity(changes.len());
            for (remote, version) in changes {
                let (received, change) =
                    self.apply_remote(remote, *version, verified.is_none(), quarantine_empty)?;
                report.received.push((remote.item_id, received));
                index.push(change);
            }
            match &verified {
                Some(v) => {
                    self.conn.execute(
                        "UPDATE sync_state SET revision = ?1, state = ?2, set_count = ?3, set_sum = ?4 WHERE id = 1",
                        params![pull.revision, v.sealed, v.items.count_column(), v.items.sum.as_slice()],
                    )?;
                }
                None => {
                    self.conn.execute(
                        "UPDATE sync_state SET revision = max(revision, ?1) WHERE id = 1",
                        [pull.revision],
                    )?;
                }
            }
            if let Some(v) = &verified {
                if let Some(material) = v.key {
                    self.write_adopted_key_material(material, &v.state)?;
                }
            }
            Ok(index)
        })();
        match outcome {
            Ok(index) => {
                self.conn.execute_batch("COMMIT")?;
                if let Some(material) = verified.as_ref().and_then(|v| v.key) {
                    self.adopt_key_material_header(material)?;
                }
                self.apply_index(index)?;
                Ok(report)
            }
            Err(err) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(err)
            }
        }
    }

    /// Takes in one remote version. `version` is what the service holds (verified against the
    /// sealed state, or from a legacy service as it says); a legacy service's item of the old
    /// format is sealed anew here, to go up again.
    fn apply_remote(
        &mut self,
        remote: &RemoteVersion,
        version: Option<ItemVersion>,
        legacy: bool,
        quarantine_empty: bool,
    ) -> Result<(Received, IndexChange)> {
        let id = remote.item_id;
        let opened = match &remote.blob {
            None if legacy => Ok(None),
            None => Err("came without its content"),
            Some(blob) => self
                .opener(&self.unlocked()?.vault_key)
                .try_open(id, blob)
                .and_then(|opened| match (opened.version(), version) {
                    (None, _) if !legacy => Err("is in the old format, which carries no version"),
                    (Some(sealed), Some(claimed)) if sealed != claimed => {
                        Err("holds another version than the service says")
                    }
                    _ => Ok(Some(opened)),
                }),
        };
        let opened = match opened {
            Ok(opened) => opened,
            Err(reason) => {
                let version = version.unwrap_or(LEGACY_VERSION);
                self.quarantine(remote, version, reason)?;
                return Ok((Received::Quarantined, IndexChange::None));
            }
        };
        if !quarantine_empty {
            self.conn
                .prepare_cached("DELETE FROM quarantine WHERE id = ?1")?
                .execute([id.as_bytes().as_slice()])?;
        }
        // What the service holds: the version it names or, from a legacy service, the one sealed
        // in the blob; an item of the old format counts as the legacy version.
        let synced = version
            .or_else(|| opened.as_ref().and_then(Opened::version))
            .unwrap_or(LEGACY_VERSION);
        let old_format = opened.as_ref().is_none_or(|o| o.version().is_none());
        let local = self.sync_row(id)?;
        let local_opened = match local.as_ref().and_then(|row| row.blob.as_deref()) {
            Some(blob) if local.as_ref().is_some_and(|row| row.dirty) => {
                Some(self.opener(&self.unlocked()?.vault_key).open(id, blob)?)
            }
            _ => None,
        };
        let Some(local_opened) = local_opened else {
            return Ok((
                Received::Stored,
                self.store_remote(remote, synced, opened, old_format)?,
            ));
        };
        if local.as_ref().and_then(|row| row.blob.as_deref()) == remote.blob.as_deref() {
            // Its own push coming back: taken as synced.
            return Ok((
                Received::AlreadyCurrent,
                self.store_remote(remote, synced, opened, old_format)?,
            ));
        }
        match (local_opened, opened) {
            (Opened::Deleted { .. }, remote_deleted @ (None | Some(Opened::Deleted { .. }))) => {
                if old_format {
                    // A legacy tombstone there: this sealed one goes up in its place.
                    self.set_synced(remote, synced)?;
                } else {
                    self.store_remote(remote, synced, remote_deleted, false)?;
                }
                Ok((Received::BothDeleted, IndexChange::None))
            }
            (Opened::Deleted { .. }, Some(live @ Opened::Live { .. })) => Ok((
                Received::RestoredRemoteEdit,
                self.store_remote(remote, synced, Some(live), old_format)?,
            )),
            (Opened::Live { item, .. }, None | Some(Opened::Deleted { .. })) => {
                self.set_synced(remote, synced)?;
                self.conn.execute(
                    "UPDATE items SET base_blob = NULL WHERE id = ?1",
                    [id.as_bytes().as_slice()],
                )?;
                self.reseal_local(&item)?;
                Ok((Received::KeptLocalEdit, IndexChange::None))
            }
            (
                Opened::Live {
                    item: local_item, ..
                },
                Some(Opened::Live {
                    item: remote_item, ..
                }),
            ) => {
                let opener = self.opener(&self.unlocked()?.vault_key);
                // A base that no longer opens (it should) only makes the merge keep more.
                let base_item = local
                    .as_ref()
                    .and_then(|row| row.base_blob.as_deref())
                    .and_then(|b| match opener.open(id, b) {
                        Ok(Opened::Live { item, .. }) => Some(item),
                        _ => None,
                    });
                let merged = merge_items(base_item.as_deref(), &local_item, &remote_item, now_ms());
                if merged.item == *remote_item {
                    let opened = Some(Opened::Live {
                        version: Some(synced),
                        item: remote_item,
                    });
                    return Ok((
                        Received::Merged { conflicts: 0 },
                        self.store_remote(remote, synced, opened, old_format)?,
                    ));
                }
                self.set_synced(remote, synced)?;
                self.conn.execute(
                    "UPDATE items SET base_blob = ?2 WHERE id = ?1",
                    params![id.as_bytes().as_slice(), remote.blob],
                )?;
                self.reseal_local(&merged.item)?;
                Ok((
                    Received::Merged {
                        conflicts: merged.conflicts,
                    },
                    IndexChange::Upsert(Box::new(merged.item)),
                ))
            }
        }
    }

    /// Seals `item` here anew past every version seen of it (the service's included), pending.
    fn reseal_local(&mut self, item: &Item) -> Result<()> {
        let version = self.next_version(item.id)?;
        let blob = self.seal_live(item, version)?;
        self.write_own_version(item.id, &blob, false, item.updated_at, version, false)?;
        Ok(())
    }

    /// Records which version of the item the service holds, and at which revision.
    fn set_synced(&mut self, remote: &RemoteVersion, synced: ItemVersion) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE items SET server_revision = ?2, synced_counter = ?3, synced_writer = ?4 WHERE id = ?1",
            )?
            .execute(params![
                remote.item_id.as_bytes().as_slice(),
                remote.revision,
                synced.counter_column(),
                synced.writer.as_bytes().as_slice()
            ])?;
        Ok(())
    }

    /// Stores the remote version as this device's synced state. One of the old format (or a
    /// legacy tombstone) is sealed anew here and pending, to go up in this format.
    fn store_remote(
        &mut self,
        remote: &RemoteVersion,
        synced: ItemVersion,
        opened: Option<Opened>,
        old_format: bool,
    ) -> Result<IndexChange> {
        let id = remote.item_id;
        let (item, updated_at) = match opened {
            Some(Opened::Live { item, .. }) => {
                let at = item.updated_at;
                (Some(*item), at)
            }
            Some(Opened::Deleted { deleted_at, .. }) => (None, deleted_at),
            None => (None, now_ms()),
        };
        let (blob, version, dirty) = if old_format {
            let version = self.next_version(id)?;
            let blob = match &item {
                Some(item) => self.seal_live(item, version)?,
                None => self.seal_deleted(id, version, updated_at)?,
            };
            (blob, version, true)
        } else {
            let blob = remote.blob.clone().ok_or(VaultError::Integrity)?;
            (blob, synced, false)
        };
        self.conn.prepare_cached("INSERT INTO items (id, blob, deleted, updated_at, version_counter, version_writer, server_revision,
                                base_blob, synced_counter, synced_writer, dirty)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (id) DO UPDATE SET blob = excluded.blob, deleted = excluded.deleted,
                 updated_at = excluded.updated_at, version_counter = excluded.version_counter,
                 version_writer = excluded.version_writer, server_revision = excluded.server_revision,
                 base_blob = excluded.base_blob, synced_counter = excluded.synced_counter,
                 synced_writer = excluded.synced_writer, dirty = excluded.dirty")?.execute(params![
                id.as_bytes().as_slice(),
                blob,
                item.is_none(),
                updated_at,
                version.counter_column(),
                version.writer.as_bytes().as_slice(),
                remote.revision,
                remote.blob,
                synced.counter_column(),
                synced.writer.as_bytes().as_slice(),
                dirty
            ])?;
        Ok(match item {
            Some(item) => IndexChange::Upsert(Box::new(item)),
            None => IndexChange::Remove(id),
        })
    }

    /// Keeps an item from the service that failed its checks aside; this device's copy of it
    /// stays as it was, and the service's version counts as the one it holds.
    fn quarantine(
        &mut self,
        remote: &RemoteVersion,
        version: ItemVersion,
        reason: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO quarantine (id, server_revision, version_counter, version_writer, blob, reason, found_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET server_revision = excluded.server_revision,
                 version_counter = excluded.version_counter, version_writer = excluded.version_writer,
                 blob = excluded.blob, reason = excluded.reason, found_at = excluded.found_at",
            params![
                remote.item_id.as_bytes().as_slice(),
                remote.revision,
                version.counter_column(),
                version.writer.as_bytes().as_slice(),
                remote.blob,
                format!("the copy from Keyhaven Account {reason}"),
                now_ms()
            ],
        )?;
        self.set_synced(remote, version)
    }

    /// The items from the service that did not pass their checks, oldest first.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedItem>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, reason, found_at FROM quarantine ORDER BY found_at, id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| classify(&self.path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, reason, found_at) = row.map_err(|e| classify(&self.path, e))?;
            out.push(QuarantinedItem {
                item_id: uuid_from_blob(&id)?,
                reason,
                found_at,
            });
        }
        Ok(out)
    }

    /// The device that changed the master password since the last unlock here, and when (works
    /// on a locked vault: the unlock screen says why the old password no longer opens it).
    pub fn master_password_changed_by(&self) -> Result<Option<(String, i64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT key_changed_by, key_changed_at FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<i64>>(1)?)),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?
            .and_then(|(device, at)| Some((device?, at?))))
    }

    /// When and on which device the vault last changed, from the newest sealed state verified.
    pub fn last_change(&self) -> Result<Option<LastChange>> {
        let keys = StateKeys::of(&self.unlocked()?.vault_key);
        let Some(link) = self.sync_link()? else {
            return Ok(None);
        };
        Ok(self
            .verified_state(&keys, link.revision)?
            .map(|state| LastChange {
                revision: state.revision,
                at: state.written_at,
                device_name: state.writer_name,
            }))
    }

    /// The sealed state verified last, opened (it is of the vault's `revision`).
    fn verified_state(&self, keys: &StateKeys, revision: i64) -> Result<Option<VaultState>> {
        match self.stored_state()? {
            Some(sealed) => open_state(keys, self.id(), revision, &sealed)
                .map(Some)
                .map_err(|_| VaultError::CorruptVault {
                    path: self.path.clone(),
                    reason: "the vault's verified state does not open".into(),
                }),
            None => Ok(None),
        }
    }

    fn stored_state(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT state FROM sync_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| classify(&self.path, e))?
            .flatten())
    }

    fn key_change_pending(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT key_change_pending FROM sync_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?
            .unwrap_or(false))
    }

    /// The count and sum of the items the service holds, as this device last verified them.
    fn synced_commitment(&self) -> Result<SetCommitment> {
        let (count, sum) = self
            .conn
            .query_row(
                "SELECT set_count, set_sum FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?)),
            )
            .map_err(|e| classify(&self.path, e))?;
        SetCommitment::from_columns(count, sum)
    }

    /// The same, computed afresh from every item's synced version (the first state a device
    /// verifies, and the first state of an upgraded vault).
    fn full_synced_commitment(&self, keys: &StateKeys) -> Result<SetCommitment> {
        let mut stmt = self.conn.prepare(
            "SELECT id, synced_counter, synced_writer FROM items WHERE synced_counter IS NOT NULL
             UNION ALL
             SELECT id, version_counter, version_writer FROM quarantine
             WHERE id NOT IN (SELECT id FROM items WHERE synced_counter IS NOT NULL)",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    ItemVersion::from_columns(r.get(1)?, r.get(2)?),
                ))
            })
            .map_err(|e| classify(&self.path, e))?;
        let mut items = SetCommitment::default();
        for row in rows {
            let (id, version) = row.map_err(|e| classify(&self.path, e))?;
            let version = version.ok_or(VaultError::Integrity)?;
            items.insert(&keys.element(self.id(), uuid_from_blob(&id)?, version));
        }
        Ok(items)
    }

    /// The version of the item the service holds as this device last verified it.
    fn synced_version(&self, id: Uuid) -> Result<Option<ItemVersion>> {
        let key = [id.as_bytes().as_slice()];
        let row = self
            .conn
            .prepare_cached("SELECT synced_counter, synced_writer FROM items WHERE id = ?1")?
            .query_row(key, |r| Ok(ItemVersion::from_columns(r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| classify(&self.path, e))?
            .flatten();
        if row.is_some() {
            return Ok(row);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT version_counter, version_writer FROM quarantine WHERE id = ?1")?
            .query_row(key, |r| Ok(ItemVersion::from_columns(r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| classify(&self.path, e))?
            .flatten())
    }

    /// Another device's new key material, verified against the sealed state: this vault's header
    /// takes it, so the next unlock needs the new master password (the open vault keeps working).
    fn write_adopted_key_material(&self, material: &KeyMaterial, state: &VaultState) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET key_changed_by = ?1, key_changed_at = ?2",
            params![state.writer_name, state.written_at],
        )?;
        self.conn.execute(
            "UPDATE vault SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3, kdf_salt = ?4,
                              wrapped_vault_key = ?5, key_check = ?6",
            params![
                material.kdf.memory_kib,
                material.kdf.iterations,
                material.kdf.parallelism,
                material.salt,
                material.wrapped_vault_key,
                material.key_check
            ],
        )?;
        Ok(())
    }

    fn adopt_key_material_header(&mut self, material: &KeyMaterial) -> Result<()> {
        self.header.kdf = material.kdf;
        self.header.salt = material
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::ServiceKeyMaterialMismatch)?;
        self.header.wrapped_vault_key = material.wrapped_vault_key.clone();
        self.header.key_check = material.key_check.clone();
        Ok(())
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
    /// become unsynced changes (so a later connection uploads them), tombstones and the
    /// quarantine go.
    pub fn unlink_account(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "BEGIN IMMEDIATE;
             DELETE FROM sync_state;
             DELETE FROM items WHERE deleted = 1;
             DELETE FROM quarantine;
             UPDATE items SET server_revision = NULL, base_blob = NULL, synced_counter = NULL,
                              synced_writer = NULL, dirty = 1;
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
        self.rewrite(&item)?;
        Ok(item)
    }

    fn sync_row(&self, item_id: Uuid) -> Result<Option<SyncRow>> {
        self.conn
            .prepare_cached("SELECT blob, base_blob, dirty FROM items WHERE id = ?1")?
            .query_row([item_id.as_bytes().as_slice()], |r| {
                Ok(SyncRow {
                    blob: r.get(0)?,
                    base_blob: r.get(1)?,
                    dirty: r.get(2)?,
                })
            })
            .optional()
            .map_err(|e| classify(&self.path, e))
    }

    /// Brings the search index along with stored changes: one by one for a few, as one batch
    /// for a large pull (a first sync).
    fn apply_index(&mut self, changes: Vec<IndexChange>) -> Result<()> {
        const BATCH_FROM: usize = 64;
        let index = &mut self.unlocked_mut()?.index;
        if changes.len() < BATCH_FROM {
            for change in changes {
                match change {
                    IndexChange::None => {}
                    IndexChange::Upsert(item) => index.upsert(&item),
                    IndexChange::Remove(id) => index.remove(id),
                }
            }
            return Ok(());
        }
        let (mut upserts, mut removes) = (Vec::new(), Vec::new());
        for change in changes {
            match change {
                IndexChange::None => {}
                IndexChange::Upsert(item) => upserts.push(*item),
                IndexChange::Remove(id) => removes.push(id),
            }
        }
        index.apply_batch(upserts, removes);
        Ok(())
    }
}

/// A pull that passed its checks: its sealed state, the items it commits to, and the key
/// material to take when another device changed the master password.
struct Verified<'a> {
    sealed: &'a [u8],
    items: SetCommitment,
    key: Option<&'a KeyMaterial>,
    state: VaultState,
}
