//! The encrypted local store: one SQLite file per OS user holding the wrapped vault key and sealed items.

mod health;
mod schema;
mod sync;
mod upgrade;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};
use uuid::Uuid;
use zeroize::Zeroizing;

pub use schema::CURRENT_VERSION as SCHEMA_VERSION;
pub use sync::{
    LastChange, PendingChange, Pull, PullReport, PushPlan, QuarantinedItem, Received,
    RemoteVersion, SyncLink,
};

use crate::crypto::{
    derive_kek, derive_master_key, key_check, open_item, random_bytes, seal_item, unwrap_vault_key,
    wrap_vault_key, KdfParams, Key32, Salt, VaultKey, LEGACY_ITEM_FORMAT,
};
use crate::error::{Result, VaultError};
use crate::item::{Item, ItemContent, ItemDraft};
use crate::paths::create_private_file;
use crate::sealed::{self, Body};
use crate::search::{Entry, ItemSummary, SearchIndex};
use crate::totp::{TotpCode, TotpSecret};
use crate::version::ItemVersion;

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The unencrypted header: everything needed to derive keys, nothing that reveals them, and the
/// random id of this file as a writer of item versions.
#[derive(Debug, Clone)]
struct Header {
    vault_id: Uuid,
    kdf: KdfParams,
    salt: Salt,
    wrapped_vault_key: Vec<u8>,
    key_check: Option<Vec<u8>>,
    replica_id: Uuid,
}

/// A vault's key material as the account service stores it: the vault id, the KDF parameters and
/// salt, the vault key wrapped under the key-encryption key, and the key check that tells a wrong
/// master password from a changed wrapped key. Useless without the master password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    pub vault_id: Uuid,
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub wrapped_vault_key: Vec<u8>,
    /// [`crate::crypto::key_check`] of the master key; absent in material from before it existed.
    pub key_check: Option<Vec<u8>>,
}

/// What a sealed blob of this vault holds.
pub(crate) enum Opened {
    /// An item; `version` is `None` for a blob of the legacy format, which has none.
    Live {
        version: Option<ItemVersion>,
        item: Box<Item>,
    },
    /// A sealed tombstone.
    Deleted {
        version: ItemVersion,
        deleted_at: i64,
    },
}

impl Opened {
    pub(crate) fn version(&self) -> Option<ItemVersion> {
        match self {
            Self::Live { version, .. } => *version,
            Self::Deleted { version, .. } => Some(*version),
        }
    }
}

/// Opens a blob as a pull would, from ciphertext to item and to its search entry, without a vault
/// file; `Err` says what is wrong with it. The fuzz targets drive every parser of a blob
/// through it.
pub fn open_blob(
    vault_key: &VaultKey,
    vault_id: Uuid,
    item_id: Uuid,
    blob: &[u8],
) -> std::result::Result<(), String> {
    let opener = ItemOpener {
        path: Path::new("blob"),
        vault_id,
        vault_key,
    };
    let opened = opener.try_open(item_id, blob)?;
    if let Opened::Live { .. } = opened {
        opener
            .open_entry(item_id, blob)
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}

/// Decrypts and parses sealed items of one vault; shareable across threads.
struct ItemOpener<'a> {
    path: &'a Path,
    vault_id: Uuid,
    vault_key: &'a VaultKey,
}

impl ItemOpener<'_> {
    fn corrupt(&self, id: Uuid, what: &str) -> VaultError {
        VaultError::CorruptVault {
            path: self.path.to_path_buf(),
            reason: format!("item {id} {what}"),
        }
    }

    /// The blob as it is, or what is wrong with it (in words for either source of blobs).
    pub(crate) fn try_open(
        &self,
        id: Uuid,
        blob: &[u8],
    ) -> std::result::Result<Opened, &'static str> {
        let (format, plain) = open_item(self.vault_key, self.vault_id, id, blob)
            .map_err(|_| "failed its integrity check")?;
        let (version, json) = if format == LEGACY_ITEM_FORMAT {
            (None, plain.as_slice())
        } else {
            match sealed::decode(&plain).map_err(|_| "is not a readable item")? {
                (version, Body::Deleted(deleted_at)) => {
                    return Ok(Opened::Deleted {
                        version,
                        deleted_at,
                    })
                }
                (version, Body::Live(json)) => (Some(version), json),
            }
        };
        let item: Item = serde_json::from_slice(json).map_err(|_| "is not a readable item")?;
        if item.id != id {
            return Err("carries another item's id");
        }
        Ok(Opened::Live {
            version,
            item: Box::new(item),
        })
    }

    /// A blob of this file (an error names the file).
    fn open(&self, id: Uuid, blob: &[u8]) -> Result<Opened> {
        self.try_open(id, blob)
            .map_err(|what| self.corrupt(id, what))
    }

    /// A live item of this file.
    fn open_live(&self, id: Uuid, blob: &[u8]) -> Result<Item> {
        match self.open(id, blob)? {
            Opened::Live { item, .. } => Ok(*item),
            Opened::Deleted { .. } => Err(self.corrupt(id, "is a tombstone where an item belongs")),
        }
    }

    /// Only what the search index keeps of a live item.
    fn open_entry(&self, id: Uuid, blob: &[u8]) -> Result<Entry> {
        let (format, plain) = open_item(self.vault_key, self.vault_id, id, blob)
            .map_err(|_| self.corrupt(id, "failed its integrity check"))?;
        let json = if format == LEGACY_ITEM_FORMAT {
            plain.as_slice()
        } else {
            match sealed::decode(&plain) {
                Ok((_, Body::Live(json))) => json,
                _ => return Err(self.corrupt(id, "is not a readable item")),
            }
        };
        let entry =
            Entry::from_json(json).map_err(|_| self.corrupt(id, "is not a readable item"))?;
        if entry.id() != id {
            return Err(self.corrupt(id, "carries another item's id"));
        }
        Ok(entry)
    }
}

struct Unlocked {
    vault_key: VaultKey,
    index: SearchIndex,
}

/// An open vault file; locked until [`Vault::unlock`] succeeds, and locked again on drop.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    header: Header,
    unlocked: Option<Unlocked>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("vault_id", &self.header.vault_id)
            .field("unlocked", &self.unlocked.is_some())
            .finish()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Turns SQLite's "not a database" and "malformed" into an error that names the file.
fn classify(path: &Path, err: rusqlite::Error) -> VaultError {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => VaultError::CorruptVault {
            path: path.to_path_buf(),
            reason: err.to_string(),
        },
        _ => VaultError::Database(err),
    }
}

/// Opens the file without changing it; [`configure`] runs only once it is known to be a vault.
fn connect(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// WAL for concurrent readers, FULL sync so a commit survives power loss, freed pages zeroed.
fn configure(conn: &Connection, path: &Path) -> Result<()> {
    let apply = || -> rusqlite::Result<()> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        Ok(())
    };
    apply().map_err(|e| classify(path, e))
}

fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if verdict != "ok" {
        return Err(VaultError::CorruptVault {
            path: path.to_path_buf(),
            reason: verdict,
        });
    }
    Ok(())
}

fn uuid_from_blob(bytes: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(bytes).map_err(|_| VaultError::Integrity)
}

impl Vault {
    /// Creates a new vault at `path` protected by `master_password`; the file must not exist yet.
    pub fn create(path: &Path, master_password: &[u8], kdf: KdfParams) -> Result<Self> {
        kdf.validate()?;
        let salt = KdfParams::new_salt()?;
        let vault_key = VaultKey::generate()?;
        let master_key = derive_master_key(master_password, &salt, kdf)?;
        let vault_id = Uuid::new_v4();
        let wrapped_vault_key =
            wrap_vault_key(&vault_key, &derive_kek(&master_key), vault_id, kdf, &salt)?;
        let header = Header {
            vault_id,
            kdf,
            salt,
            wrapped_vault_key,
            key_check: Some(key_check(&master_key).to_vec()),
            replica_id: new_replica_id()?,
        };
        Self::write_new(path, header, vault_key)
    }

    /// Creates a local copy of a vault from its key material (another device's vault, as the
    /// account service keeps it), unlocked. A wrong master password is `wrong_master_password`
    /// and writes nothing; a right one (its key check matches) that does not open the wrapped key
    /// is `key_material_tampered`; parameters below the KDF floor are refused, whoever supplied them.
    pub fn create_from_key_material(
        path: &Path,
        master_password: &[u8],
        material: &KeyMaterial,
    ) -> Result<Self> {
        material.kdf.validate()?;
        let salt: Salt = material
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::KeyMaterialTampered)?;
        let master_key = derive_master_key(master_password, &salt, material.kdf)?;
        let vault_key = open_key_material(material, &salt, &master_key)?;
        let header = Header {
            vault_id: material.vault_id,
            kdf: material.kdf,
            salt,
            wrapped_vault_key: material.wrapped_vault_key.clone(),
            key_check: Some(key_check(&master_key).to_vec()),
            replica_id: new_replica_id()?,
        };
        Self::write_new(path, header, vault_key)
    }

    /// This vault's key material, for the account service (it reveals nothing without the
    /// master password).
    pub fn key_material(&self) -> KeyMaterial {
        KeyMaterial {
            vault_id: self.header.vault_id,
            kdf: self.header.kdf,
            salt: self.header.salt.to_vec(),
            wrapped_vault_key: self.header.wrapped_vault_key.clone(),
            key_check: self.header.key_check.clone(),
        }
    }

    /// The random id this vault file writes item versions under.
    pub fn replica_id(&self) -> Uuid {
        self.header.replica_id
    }

    /// Writes a new vault file (0600) with `header` and no items, unlocked with `vault_key`.
    fn write_new(path: &Path, header: Header, vault_key: VaultKey) -> Result<Self> {
        create_private_file(path)?;
        let mut conn = connect(path)?;
        configure(&conn, path)?;
        let tx = conn.transaction()?;
        schema::migrate(&tx, path)?;
        tx.execute(
            "INSERT INTO vault (id, kdf_memory_kib, kdf_iterations, kdf_parallelism, kdf_salt, wrapped_vault_key,
                                created_at, key_check, replica_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                header.vault_id.as_bytes().as_slice(),
                header.kdf.memory_kib,
                header.kdf.iterations,
                header.kdf.parallelism,
                header.salt.as_slice(),
                header.wrapped_vault_key,
                now_ms(),
                header.key_check,
                header.replica_id.as_bytes().as_slice()
            ],
        )?;
        tx.commit()?;
        let index = SearchIndex::default();
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            header,
            unlocked: Some(Unlocked { vault_key, index }),
        })
    }

    /// Opens an existing vault, locked; checks the file is an intact Keyhaven vault and never writes to a foreign one.
    pub fn open(path: &Path) -> Result<Self> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.len() == 0 => {
                return Err(VaultError::VaultNotFound(path.to_path_buf()))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VaultError::VaultNotFound(path.to_path_buf()))
            }
            Err(source) => {
                return Err(VaultError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
        let mut conn = connect(path)?;
        check_integrity(&conn, path)?;
        let is_keyhaven: bool = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| classify(path, e))?
            == 1;
        if !is_keyhaven {
            return Err(VaultError::CorruptVault {
                path: path.to_path_buf(),
                reason: "not a Keyhaven vault".into(),
            });
        }
        configure(&conn, path)?;
        let tx = conn.transaction()?;
        schema::migrate(&tx, path)?;
        tx.commit()?;
        let header = Self::read_header(&conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            header,
            unlocked: None,
        })
    }

    fn read_header(conn: &Connection, path: &Path) -> Result<Header> {
        let corrupt = |reason: &str| VaultError::CorruptVault {
            path: path.to_path_buf(),
            reason: reason.into(),
        };
        let row = conn
            .query_row(
                "SELECT id, kdf_memory_kib, kdf_iterations, kdf_parallelism, kdf_salt, wrapped_vault_key,
                        key_check, replica_id FROM vault",
                [],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        KdfParams { memory_kib: r.get(1)?, iterations: r.get(2)?, parallelism: r.get(3)? },
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, Option<Vec<u8>>>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| classify(path, e))?
            .ok_or_else(|| corrupt("the vault header is missing"))?;
        let (id, kdf, salt, wrapped_vault_key, key_check, replica_id) = row;
        Ok(Header {
            vault_id: uuid_from_blob(&id).map_err(|_| corrupt("the vault id is malformed"))?,
            kdf,
            salt: salt
                .try_into()
                .map_err(|_| corrupt("the KDF salt is malformed"))?,
            wrapped_vault_key,
            key_check,
            replica_id: uuid_from_blob(&replica_id)
                .map_err(|_| corrupt("the replica id is malformed"))?,
        })
    }

    /// The file this vault lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The vault's random id, bound into every sealed blob.
    pub fn id(&self) -> Uuid {
        self.header.vault_id
    }

    /// The Argon2id parameters the master key is derived with.
    pub fn kdf_params(&self) -> KdfParams {
        self.header.kdf
    }

    pub fn is_unlocked(&self) -> bool {
        self.unlocked.is_some()
    }

    /// Runs the KDF for this vault (the slow part of unlocking), refusing weak parameters.
    pub fn derive_master_key(&self, master_password: &[u8]) -> Result<Key32> {
        derive_master_key(master_password, &self.header.salt, self.header.kdf)
    }

    /// Checks the master password again (before an export, say) without changing anything;
    /// a wrong one is `wrong_master_password`.
    pub fn verify_master_password(&self, master_password: &[u8]) -> Result<()> {
        let master_key = self.derive_master_key(master_password)?;
        self.unwrap_with(&master_key).map(drop)
    }

    /// Unlocks with the master password; a wrong one is `wrong_master_password` (or, when
    /// another device changed it since the last unlock here, `master_password_changed`) and
    /// changes nothing.
    pub fn unlock(&mut self, master_password: &[u8]) -> Result<()> {
        let master_key = self.derive_master_key(master_password)?;
        match self.unlock_with_master_key(&master_key) {
            Err(VaultError::WrongMasterPassword) => match self.master_password_changed_by()? {
                Some((device, at)) => Err(VaultError::MasterPasswordChanged { device, at }),
                None => Err(VaultError::WrongMasterPassword),
            },
            other => other,
        }
    }

    /// Unlocks with an already derived master key: unwraps the vault key, brings items of the
    /// legacy format up to this one (once, in one transaction) and builds the search index.
    pub fn unlock_with_master_key(&mut self, master_key: &Key32) -> Result<()> {
        let vault_key = self.unwrap_with(master_key)?;
        if self.header.key_check.is_none() {
            let check = key_check(master_key).to_vec();
            self.conn
                .execute("UPDATE vault SET key_check = ?1", [&check])?;
            self.header.key_check = Some(check);
        }
        upgrade::upgrade_legacy_items(self, &vault_key)?;
        self.conn.execute(
            "UPDATE sync_state SET key_changed_by = NULL, key_changed_at = NULL",
            [],
        )?;
        let index = self.read_index(&vault_key)?;
        self.unlocked = Some(Unlocked { vault_key, index });
        Ok(())
    }

    fn unwrap_with(&self, master_key: &Key32) -> Result<VaultKey> {
        let h = &self.header;
        if h.key_check
            .as_deref()
            .is_some_and(|c| c != key_check(master_key))
        {
            return Err(VaultError::WrongMasterPassword);
        }
        unwrap_vault_key(
            &h.wrapped_vault_key,
            &derive_kek(master_key),
            h.vault_id,
            h.kdf,
            &h.salt,
        )
        .map_err(|_| match h.key_check {
            Some(_) => VaultError::CorruptVault {
                path: self.path.clone(),
                reason: "the wrapped vault key does not open with the right master password".into(),
            },
            None => VaultError::WrongMasterPassword,
        })
    }

    fn opener<'a>(&'a self, vault_key: &'a VaultKey) -> ItemOpener<'a> {
        ItemOpener {
            path: &self.path,
            vault_id: self.header.vault_id,
            vault_key,
        }
    }

    /// Reads every live item on this thread while the rayon pool decrypts and indexes
    /// batches of them, so reading overlaps decryption.
    fn read_index(&self, vault_key: &VaultKey) -> Result<SearchIndex> {
        const BATCH: usize = 512;
        type Row = (Vec<u8>, Vec<u8>);
        let opener = &self.opener(vault_key);
        let decrypted = &Mutex::new(Vec::<Result<Vec<Entry>>>::new());
        let decrypt = |batch: Vec<Row>| {
            let entries = batch
                .iter()
                .map(|(id, blob)| opener.open_entry(uuid_from_blob(id)?, blob))
                .collect();
            decrypted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(entries);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT id, blob FROM items WHERE deleted = 0")?;
        let mut rows = stmt.query([])?;
        rayon::in_place_scope(|scope| -> Result<()> {
            let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
            while let Some(row) = rows.next().map_err(|e| classify(&self.path, e))? {
                batch.push((row.get(0)?, row.get(1)?));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    scope.spawn(move |_| decrypt(full));
                }
            }
            scope.spawn(move |_| decrypt(batch));
            Ok(())
        })?;
        let batches =
            std::mem::take(&mut *decrypted.lock().unwrap_or_else(PoisonError::into_inner));
        let mut entries = Vec::new();
        for batch in batches {
            entries.extend(batch?);
        }
        Ok(SearchIndex::from_entries(entries))
    }

    /// Drops the vault key and the decrypted index (both zeroed).
    pub fn lock(&mut self) {
        self.unlocked = None;
    }

    fn unlocked(&self) -> Result<&Unlocked> {
        self.unlocked.as_ref().ok_or(VaultError::Locked)
    }

    fn unlocked_mut(&mut self) -> Result<&mut Unlocked> {
        self.unlocked.as_mut().ok_or(VaultError::Locked)
    }

    /// Re-wraps the vault key under a new master password (fresh salt, KDF parameters at least as
    /// strong as the current ones); items stay as they are. A vault linked to an account marks
    /// the new key material for the next sync to send, in the same transaction.
    pub fn change_master_password(
        &mut self,
        current: &[u8],
        new: &[u8],
        kdf: KdfParams,
    ) -> Result<()> {
        kdf.validate()?;
        if !kdf.at_least_as_strong_as(&self.header.kdf) {
            return Err(VaultError::WeakKdfParams(format!(
                "m={} KiB, t={} is weaker than this vault's m={} KiB, t={}",
                kdf.memory_kib,
                kdf.iterations,
                self.header.kdf.memory_kib,
                self.header.kdf.iterations
            )));
        }
        let vault_key = self.unwrap_with(&self.derive_master_key(current)?)?;
        let salt = KdfParams::new_salt()?;
        let new_master_key = derive_master_key(new, &salt, kdf)?;
        let wrapped_vault_key = wrap_vault_key(
            &vault_key,
            &derive_kek(&new_master_key),
            self.header.vault_id,
            kdf,
            &salt,
        )?;
        let header = Header {
            vault_id: self.header.vault_id,
            kdf,
            salt,
            wrapped_vault_key,
            key_check: Some(key_check(&new_master_key).to_vec()),
            replica_id: self.header.replica_id,
        };
        let tx = self.conn.unchecked_transaction()?;
        write_key_material(&tx, &self.path, &header)?;
        tx.execute("UPDATE sync_state SET key_change_pending = 1", [])?;
        tx.commit()?;
        self.header = header;
        Ok(())
    }

    /// Adds a new item and returns it with its id and times.
    pub fn add(&mut self, draft: ItemDraft) -> Result<Item> {
        draft.validate()?;
        let item = Item::new(draft, Uuid::new_v4(), now_ms());
        let tx = self.conn.unchecked_transaction()?;
        self.insert_first_version(&item)?;
        self.store_facts_of(&item, self.first_version())?;
        tx.commit()?;
        self.unlocked_mut()?.index.upsert(&item);
        Ok(item)
    }

    /// Adds `item` as it is — its id, times and histories — sealed under this vault's key: an
    /// item brought over from another vault. Returns `false`, changing nothing, when an item
    /// with that id is already here, so that an interrupted merge can simply run again.
    pub fn import(&mut self, item: &Item) -> Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        let inserted = self.insert_first_version(item)?;
        if inserted {
            self.store_facts_of(item, self.first_version())?;
        }
        tx.commit()?;
        if inserted {
            self.unlocked_mut()?.index.upsert(item);
        }
        Ok(inserted)
    }

    /// Adds every item of an import (see [`Vault::import`]) in one transaction: all of them, or
    /// none when any fails. Returns how many were added (an id already here is left alone).
    pub fn import_all(&mut self, items: &[Item]) -> Result<usize> {
        self.import_all_with_progress(items, &mut |_, _| {})
    }

    /// [`Vault::import_all`], telling `progress` (done, total) every hundred items and at the end,
    /// for a progress bar.
    pub fn import_all_with_progress(
        &mut self,
        items: &[Item],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize> {
        const EVERY: usize = 100;
        let tx = self.conn.unchecked_transaction()?;
        let mut added = Vec::with_capacity(items.len());
        for (done, item) in items.iter().enumerate() {
            if self.insert_first_version(item)? {
                added.push(item);
            }
            if (done + 1) % EVERY == 0 {
                progress(done + 1, items.len());
            }
        }
        tx.commit()?;
        progress(items.len(), items.len());
        let index = &mut self.unlocked_mut()?.index;
        for item in &added {
            index.upsert(item);
        }
        Ok(added.len())
    }

    /// Seals the first version of an item new to this vault and stores it, pending; false when
    /// an item with its id is here already (nothing changes then).
    fn insert_first_version(&self, item: &Item) -> Result<bool> {
        let version = self.first_version();
        let blob = self.seal_live(item, version)?;
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO items (id, blob, deleted, updated_at, dirty, version_counter, version_writer)
             VALUES (?1, ?2, 0, ?3, 1, ?4, ?5)",
            params![
                item.id.as_bytes().as_slice(),
                blob,
                item.updated_at,
                version.counter_column(),
                version.writer.as_bytes().as_slice()
            ],
        )?;
        Ok(inserted == 1)
    }

    /// The version of an item's first write in this vault file.
    fn first_version(&self) -> ItemVersion {
        ItemVersion::next(None, self.header.replica_id)
    }

    /// Replaces an item's editable fields, recording a replaced password in its history.
    pub fn update(&mut self, id: Uuid, draft: ItemDraft) -> Result<Item> {
        draft.validate()?;
        let mut item = self.get(id)?;
        item.apply(draft, now_ms().max(item.updated_at));
        self.rewrite(&item)?;
        Ok(item)
    }

    /// Applies an edit made on `base`, the version the edit form started from. When the item
    /// changed meanwhile (a sync brought another device's edit), the edit is merged into the
    /// current version field by field instead of replacing it, as a sync conflict would be.
    pub fn update_from(&mut self, id: Uuid, draft: ItemDraft, base: &Item) -> Result<Item> {
        if crate::masked::is_masked(base) {
            return Err(VaultError::InvalidItem(
                "a masked item cannot be saved: open the item for editing first".into(),
            ));
        }
        draft.validate()?;
        let current = self.get(id)?;
        if current.updated_at == base.updated_at || base.id != id {
            return self.update(id, draft);
        }
        let now = now_ms().max(current.updated_at);
        let mut edited = base.clone();
        edited.apply(draft, now);
        let item = crate::merge_item::merge_items(Some(base), &edited, &current, now).item;
        self.rewrite(&item)?;
        Ok(item)
    }

    /// Seals a new version of a live item over its current one, for the next push.
    fn rewrite(&mut self, item: &Item) -> Result<()> {
        let version = self.next_version(item.id)?;
        let blob = self.seal_live(item, version)?;
        let tx = self.conn.unchecked_transaction()?;
        if !self.write_own_version(item.id, &blob, false, item.updated_at, version, true)? {
            return Err(VaultError::ItemNotFound(item.id.to_string()));
        }
        self.store_facts_of(item, version)?;
        tx.commit()?;
        self.unlocked_mut()?.index.upsert(item);
        Ok(())
    }

    /// Deletes an item: a sealed tombstone takes its place, for sync.
    pub fn delete(&mut self, id: Uuid) -> Result<()> {
        self.unlocked()?;
        let version = self.next_version(id)?;
        let deleted_at = now_ms();
        let blob = self.seal_deleted(id, version, deleted_at)?;
        if !self.write_own_version(id, &blob, true, deleted_at, version, true)? {
            return Err(VaultError::ItemNotFound(id.to_string()));
        }
        self.unlocked_mut()?.index.remove(id);
        Ok(())
    }

    /// Writes a version of an item sealed here (the item, or its tombstone) over its row,
    /// pending for the next push; with `live_only`, an item deleted here meanwhile is left as it
    /// is. Returns whether a row changed.
    pub(crate) fn write_own_version(
        &self,
        id: Uuid,
        blob: &[u8],
        deleted: bool,
        updated_at: i64,
        version: ItemVersion,
        live_only: bool,
    ) -> Result<bool> {
        let changed = self.conn.prepare_cached(
            "UPDATE items SET blob = ?2, deleted = ?3, updated_at = ?4, dirty = 1, version_counter = ?5,
                              version_writer = ?6
             WHERE id = ?1 AND (deleted = 0 OR NOT ?7)",
        )?.execute(params![
            id.as_bytes().as_slice(),
            blob,
            deleted,
            updated_at,
            version.counter_column(),
            version.writer.as_bytes().as_slice(),
            live_only
        ])?;
        Ok(changed == 1)
    }

    /// The version this vault's next write of `id` gets: past every version of it seen here.
    fn next_version(&self, id: Uuid) -> Result<ItemVersion> {
        let key = [id.as_bytes().as_slice()];
        let row = self
            .conn
            .prepare_cached(
                "SELECT version_counter, version_writer, synced_counter, synced_writer FROM items WHERE id = ?1",
            )?
            .query_row(key, |r| {
                Ok([
                    ItemVersion::from_columns(r.get(0)?, r.get(1)?),
                    ItemVersion::from_columns(r.get(2)?, r.get(3)?),
                ])
            })
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        let quarantined = self
            .conn
            .prepare_cached("SELECT version_counter, version_writer FROM quarantine WHERE id = ?1")?
            .query_row(key, |r| Ok(ItemVersion::from_columns(r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        let seen = row.into_iter().flatten().chain(quarantined).flatten().max();
        Ok(ItemVersion::next(seen, self.header.replica_id))
    }

    /// Decrypts one item in full.
    pub fn get(&self, id: Uuid) -> Result<Item> {
        let unlocked = self.unlocked()?;
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT blob FROM items WHERE id = ?1 AND deleted = 0",
                [id.as_bytes().as_slice()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        let blob = blob.ok_or_else(|| VaultError::ItemNotFound(id.to_string()))?;
        self.opener(&unlocked.vault_key).open_live(id, &blob)
    }

    /// The current one-time code of a login, by the system clock.
    pub fn totp_code(&self, id: Uuid) -> Result<TotpCode> {
        self.totp_code_at(id, crate::totp::unix_now())
    }

    /// The one-time code of a login at `unix_seconds`: `no_totp_secret` when it has none,
    /// `invalid_totp_secret` (with why) when its secret cannot make codes.
    pub fn totp_code_at(&self, id: Uuid, unix_seconds: u64) -> Result<TotpCode> {
        let item = self.get(id)?;
        let secret = match &item.content {
            ItemContent::Login(login) => login
                .totp_secret
                .as_deref()
                .filter(|s| !s.trim().is_empty()),
            _ => None,
        };
        let secret = TotpSecret::parse(secret.ok_or(VaultError::NoTotpSecret)?)?;
        Ok(secret.code_at(unix_seconds))
    }

    /// Every live item decrypted in full, in title order (moving them to another vault).
    pub fn items(&self) -> Result<Vec<Item>> {
        self.list()?.iter().map(|s| self.get(s.id)).collect()
    }

    /// Every live item's summary, in title order.
    pub fn list(&self) -> Result<Vec<&ItemSummary>> {
        Ok(self.unlocked()?.index.all().collect())
    }

    /// Summaries of items matching every term of `query` (title, username, URLs, tags; any case).
    pub fn search(&self, query: &str) -> Result<Vec<&ItemSummary>> {
        Ok(self.unlocked()?.index.search(query).collect())
    }

    /// Resolves an item by full id, unique id prefix, or exact (case-insensitive) title.
    pub fn resolve(&self, reference: &str) -> Result<Uuid> {
        let index = &self.unlocked()?.index;
        if let Ok(id) = Uuid::parse_str(reference) {
            return Ok(id);
        }
        let needle = reference.to_lowercase();
        let matches: Vec<Uuid> = index
            .all()
            .filter(|s| {
                s.title.to_lowercase() == needle
                    || (needle.len() >= 4 && s.id.simple().to_string().starts_with(&needle))
            })
            .map(|s| s.id)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(VaultError::ItemNotFound(reference.to_string())),
            _ => Err(VaultError::InvalidItem(format!(
                "\"{reference}\" matches {} items; use the id",
                matches.len()
            ))),
        }
    }

    fn seal_live(&self, item: &Item, version: ItemVersion) -> Result<Vec<u8>> {
        self.seal_live_with(&self.unlocked()?.vault_key, item, version)
    }

    fn seal_deleted(&self, id: Uuid, version: ItemVersion, deleted_at: i64) -> Result<Vec<u8>> {
        self.seal_deleted_with(&self.unlocked()?.vault_key, id, version, deleted_at)
    }

    fn seal_live_with(&self, key: &VaultKey, item: &Item, version: ItemVersion) -> Result<Vec<u8>> {
        let json = Zeroizing::new(
            serde_json::to_vec(item).map_err(|e| VaultError::InvalidItem(e.to_string()))?,
        );
        seal_item(
            key,
            self.header.vault_id,
            item.id,
            &sealed::encode_live(version, &json),
        )
    }

    fn seal_deleted_with(
        &self,
        key: &VaultKey,
        id: Uuid,
        version: ItemVersion,
        deleted_at: i64,
    ) -> Result<Vec<u8>> {
        seal_item(
            key,
            self.header.vault_id,
            id,
            &sealed::encode_deleted(version, deleted_at),
        )
    }
}

/// A fresh random replica id: the writer of this vault file's item versions.
fn new_replica_id() -> Result<Uuid> {
    Ok(uuid::Builder::from_random_bytes(random_bytes()?).into_uuid())
}

/// Opens key material with a derived master key: a key check that does not match is a wrong
/// master password; a matching one whose wrapped key does not open means the material was
/// changed after the master password made it.
fn open_key_material(material: &KeyMaterial, salt: &Salt, master_key: &Key32) -> Result<VaultKey> {
    if let Some(check) = &material.key_check {
        if check.as_slice() != key_check(master_key) {
            return Err(VaultError::WrongMasterPassword);
        }
    }
    unwrap_vault_key(
        &material.wrapped_vault_key,
        &derive_kek(master_key),
        material.vault_id,
        material.kdf,
        salt,
    )
    .map_err(|_| match material.key_check {
        Some(_) => VaultError::KeyMaterialTampered,
        None => VaultError::WrongMasterPassword,
    })
}

/// Writes the header's key material (KDF parameters, salt, wrapped key, key check).
fn write_key_material(conn: &Connection, path: &Path, header: &Header) -> Result<()> {
    let changed = conn.execute(
        "UPDATE vault SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3, kdf_salt = ?4,
                          wrapped_vault_key = ?5, key_check = ?6 WHERE id = ?7",
        params![
            header.kdf.memory_kib,
            header.kdf.iterations,
            header.kdf.parallelism,
            header.salt.as_slice(),
            header.wrapped_vault_key,
            header.key_check,
            header.vault_id.as_bytes().as_slice()
        ],
    )?;
    if changed != 1 {
        return Err(VaultError::CorruptVault {
            path: path.to_path_buf(),
            reason: "the vault header is missing".into(),
        });
    }
    Ok(())
}
