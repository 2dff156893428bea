//! The password-health index in the vault file (`crate::health`): facts kept per item version,
//! brought up to date for items that arrived without them, and the report read from them.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::{classify, now_ms, uuid_from_blob, Vault};
use crate::error::{Result, VaultError};
use crate::health::{
    self, ComputedHealth, Fingerprint, HealthKeys, HealthReport, HealthWork, LeakQuery,
    LeakResults, PasswordFacts,
};
use crate::item::{Item, ItemContent};
use crate::version::ItemVersion;

impl Vault {
    fn health_keys(&self) -> Result<HealthKeys> {
        Ok(HealthKeys::of(&self.unlocked()?.vault_key))
    }

    /// Works out and stores the facts of an item just written at `version` (one save).
    pub(super) fn store_facts_of(&self, item: &Item, version: ItemVersion) -> Result<()> {
        let keys = self.health_keys()?;
        let facts = PasswordFacts::of(item, &keys);
        let sealed = keys.seal_facts(self.header.vault_id, item.id, version, &facts)?;
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO password_health (id, version_counter, version_writer, sealed)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                item.id.as_bytes().as_slice(),
                version.counter_column(),
                version.writer.as_bytes().as_slice(),
                sealed
            ])?;
        Ok(())
    }

    /// Every live item's stored facts, when they describe its current version, and the ids of
    /// the items whose facts are missing or describe an older version: one pass over the file.
    fn scan_health(&self) -> Result<(HashMap<Uuid, PasswordFacts>, Vec<Uuid>)> {
        let keys = self.health_keys()?;
        let vault_id = self.header.vault_id;
        let classified = |e| classify(&self.path, e);
        // Two sequential scans joined here cost less than SQLite's join by lookups.
        let mut versions: HashMap<Uuid, Option<ItemVersion>> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, version_counter, version_writer FROM items WHERE deleted = 0",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next().map_err(classified)? {
            let id = uuid_from_blob(
                row.get_ref(0)?
                    .as_blob()
                    .map_err(|_| VaultError::Integrity)?,
            )?;
            versions.insert(id, ItemVersion::from_columns(row.get(1)?, row.get(2)?));
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, version_counter, version_writer, sealed FROM password_health",
        )?;
        let mut rows = stmt.query([])?;
        let mut current = Vec::with_capacity(versions.len());
        while let Some(row) = rows.next().map_err(classified)? {
            let id = uuid_from_blob(
                row.get_ref(0)?
                    .as_blob()
                    .map_err(|_| VaultError::Integrity)?,
            )?;
            let version = ItemVersion::from_columns(row.get(1)?, row.get(2)?);
            if version.is_some() && versions.get(&id) == Some(&version) {
                versions.remove(&id);
                current.push((id, version, row.get::<_, Vec<u8>>(3)?));
            }
        }
        let facts = current
            .par_iter()
            .map(|(id, version, sealed)| {
                let version = version.ok_or(VaultError::Integrity)?;
                Ok((*id, keys.open_facts(vault_id, *id, version, sealed)?))
            })
            .collect::<Result<HashMap<Uuid, PasswordFacts>>>()?;
        let stale = versions.into_keys().collect();
        Ok((facts, stale))
    }

    /// The live items whose health facts are missing or describe an older version, decrypted,
    /// for [`HealthWork::compute`] (which needs no vault: a caller may release it meanwhile).
    pub fn health_work(&self) -> Result<HealthWork> {
        let (_, stale) = self.scan_health()?;
        self.work_for(&stale)
    }

    fn work_for(&self, stale: &[Uuid]) -> Result<HealthWork> {
        let opener = self.opener(&self.unlocked()?.vault_key);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT blob FROM items WHERE id = ?1 AND deleted = 0")?;
        let mut blobs = Vec::with_capacity(stale.len());
        for id in stale {
            let blob: Option<Vec<u8>> = stmt
                .query_row([id.as_bytes().as_slice()], |r| r.get(0))
                .optional()
                .map_err(|e| classify(&self.path, e))?;
            blobs.extend(blob.map(|blob| (*id, blob)));
        }
        let stale = blobs
            .par_iter()
            .filter_map(|(id, blob)| match opener.open(*id, blob) {
                Ok(super::Opened::Live {
                    version: Some(version),
                    item,
                }) => Some(Ok((version, *item))),
                Ok(_) => None,
                Err(error) => Some(Err(error)),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(HealthWork {
            vault_id: self.header.vault_id,
            keys: self.health_keys()?,
            stale,
        })
    }

    /// Stores facts worked out by [`HealthWork::compute`], for the items still at the version
    /// they describe, and drops the facts of items deleted since.
    pub fn store_health(&mut self, computed: ComputedHealth) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO password_health (id, version_counter, version_writer, sealed)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (
                     SELECT 1 FROM items WHERE id = ?1 AND deleted = 0 AND version_counter = ?2
                                           AND version_writer = ?3)",
            )?;
            for (id, version, sealed) in &computed.rows {
                insert.execute(params![
                    id.as_bytes().as_slice(),
                    version.counter_column(),
                    version.writer.as_bytes().as_slice(),
                    sealed
                ])?;
            }
        }
        tx.execute(
            "DELETE FROM password_health WHERE id NOT IN (SELECT id FROM items WHERE deleted = 0)",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The password-health report, after working out the facts of items that have none yet.
    pub fn health_report(&mut self) -> Result<HealthReport> {
        self.health_report_at(now_ms())
    }

    /// [`Vault::health_report`] as of `now` (milliseconds since the Unix epoch).
    pub fn health_report_at(&mut self, now: i64) -> Result<HealthReport> {
        let (mut facts, stale) = self.scan_health()?;
        if !stale.is_empty() {
            let computed = self.work_for(&stale)?.compute()?;
            facts.extend(computed.facts.iter().copied());
            self.store_health(computed)?;
        }
        self.report_from(&facts, now)
    }

    /// The report from the facts stored now (items without current facts are left out).
    pub fn read_health_report(&self, now: i64) -> Result<HealthReport> {
        let (facts, _) = self.scan_health()?;
        self.report_from(&facts, now)
    }

    fn report_from(&self, facts: &HashMap<Uuid, PasswordFacts>, now: i64) -> Result<HealthReport> {
        let leaks = self.read_leaks(&self.health_keys()?)?;
        Ok(health::report(
            self.unlocked()?.index.all(),
            facts,
            leaks.as_ref(),
            now,
        ))
    }

    fn read_leaks(&self, keys: &HealthKeys) -> Result<Option<LeakResults>> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT sealed FROM leak_check WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        sealed
            .map(|sealed| keys.open_leaks(self.header.vault_id, &sealed))
            .transpose()
    }

    /// One query per distinct login password, for a leak check.
    pub fn leak_queries(&self) -> Result<Vec<LeakQuery>> {
        let keys = self.health_keys()?;
        let mut seen = HashSet::new();
        let mut queries = Vec::new();
        for item in self.items()? {
            if let ItemContent::Login(login) = &item.content {
                if login.password.is_empty() {
                    continue;
                }
                let fingerprint = keys.fingerprint(&login.password);
                if seen.insert(fingerprint) {
                    queries.push(LeakQuery::of(&login.password, fingerprint));
                }
            }
        }
        Ok(queries)
    }

    /// Keeps the results of a leak check (how often each password was seen), sealed, in place
    /// of the last one.
    pub fn record_leak_check(
        &mut self,
        seen: &[(Fingerprint, u64)],
        checked_at: i64,
    ) -> Result<()> {
        let keys = self.health_keys()?;
        let results = LeakResults {
            checked_at,
            seen: seen.iter().copied().collect(),
        };
        let sealed = keys.seal_leaks(self.header.vault_id, &results)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO leak_check (id, sealed) VALUES (1, ?1)",
            [sealed],
        )?;
        Ok(())
    }
}
