//! One sync of the local vault with the account's cloud vault (DESIGN §5, §5a): pull what
//! changed since the last sync, every page of it, and let the vault check it against the sealed
//! state before anything is written; then push each batch of local changes with the sealed state
//! of the vault after it, pulling and merging again when another device pushed first. A vault
//! the service holds in the legacy protocol is upgraded on the way. Offline is normal: nothing is
//! lost, the next sync picks up where this one stopped.

use std::borrow::BorrowMut;
use std::sync::Mutex;

use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::vault::{
    self as wire, ChangeResult, ItemChange, PushChanges, RemoteItem, ReplaceKeyMaterial,
};
use keyhaven_vault::version::ItemVersion;
use keyhaven_vault::{Pull, PullReport, PushPlan, Received, RemoteVersion, Vault, VaultError};
use serde::{Deserialize, Serialize};

use crate::account::LinkState;
use crate::connect::{key_material, wire_key_material};
use crate::error::ClientError;
use crate::session::Session;

type Result<T> = std::result::Result<T, ClientError>;

/// Most changes sent in one push (the service takes up to 500).
const PUSH_BATCH: usize = 500;
/// Pull/push rounds in one sync; changes still refused after that wait for the next sync.
const MAX_ROUNDS: usize = 4;

/// How the sync engine reaches the vault: one short exclusive borrow at a time, never held
/// across a network call, so the person can keep working while a sync runs.
pub trait VaultAccess: Send + Sync {
    /// Runs `f` on the vault; fails with [`VaultError::Locked`] when there is none to use.
    fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> keyhaven_vault::Result<T>,
    ) -> keyhaven_vault::Result<T>;
}

/// A vault behind a mutex, owned or borrowed.
impl<V: BorrowMut<Vault> + Send> VaultAccess for Mutex<V> {
    fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> keyhaven_vault::Result<T>,
    ) -> keyhaven_vault::Result<T> {
        let mut vault = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f((*vault).borrow_mut())
    }
}

/// What one sync did, for the status line and the CLI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Local changes the service took.
    pub pushed: usize,
    /// Remote changes stored here.
    pub pulled: usize,
    /// Items changed on both sides and merged.
    pub merged: usize,
    /// Local values that lost to a remote change of the same field and went to an item's history.
    pub conflicts: usize,
    /// Items from the service that failed their checks and were kept aside.
    pub quarantined: usize,
    /// Another device changed the master password: the next unlock here asks for the new one.
    pub key_changed: bool,
    /// The service revision this device has now taken in.
    pub revision: i64,
}

/// Runs one full sync of `vault` with the account of `session`.
pub async fn sync_once(session: &Session, vault: &impl VaultAccess) -> Result<SyncReport> {
    sync_once_telling(session, vault, &|_| {}).await
}

/// How far a push of many changes is, told after each batch the service took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PushProgress {
    /// Changes the service took so far in this sync.
    pub sent: u32,
    /// Changes that were waiting when the push began.
    pub total: u32,
}

/// [`sync_once`], telling `on_push` after each batch of a push of more than one batch (an
/// import, a long offline spell), so that the status can say how far it is.
pub async fn sync_once_telling(
    session: &Session,
    vault: &impl VaultAccess,
    on_push: &(dyn Fn(PushProgress) + Sync),
) -> Result<SyncReport> {
    let account_id = session.link().account_id;
    match vault.with_vault(|v| crate::account::link_state(v, account_id))? {
        LinkState::ThisAccount => {}
        LinkState::OtherAccount => return Err(ClientError::Vault(VaultError::LinkedElsewhere)),
        LinkState::NotLinked => return Err(ClientError::Vault(VaultError::NotLinked)),
    }
    let device_name = crate::device::this_device_name();
    let mut report = SyncReport::default();
    for _ in 0..MAX_ROUNDS {
        pull(session, vault, &mut report).await?;
        if push(session, vault, &device_name, &mut report, on_push).await? == Pushed::All {
            break;
        }
    }
    report.revision = vault
        .with_vault(|v| v.sync_link())?
        .map_or(0, |link| link.revision);
    Ok(report)
}

/// Every page of changes since this vault's revision, then one check-and-store by the vault.
async fn pull(session: &Session, vault: &impl VaultAccess, report: &mut SyncReport) -> Result<()> {
    let since = vault
        .with_vault(|v| v.sync_link())?
        .map_or(0, |link| link.revision);
    let mut next = since;
    let mut items = Vec::new();
    let last = loop {
        let page = session
            .authed(|api, token| async move { api.changes(&token, next).await })
            .await?;
        items.extend(page.items.iter().cloned().map(to_version));
        if !page.more {
            break page;
        }
        if page.next_since <= next {
            return Err(ClientError::Protocol(
                "the change feed did not advance".into(),
            ));
        }
        next = page.next_since;
    };
    let pull = Pull {
        revision: last.revision,
        items,
        state: last.state.map(|state| state.0),
        key_material: last.key_material.as_ref().map(key_material),
    };
    let received = vault.with_vault(|v| v.receive(&pull))?;
    count(&received, report);
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Pushed {
    /// Nothing is left to push.
    All,
    /// Another device pushed first: pull, then push the rest.
    Stale,
}

/// Pushes the local changes a batch at a time, then a changed master password (or, for a vault
/// the service holds in the legacy protocol, its first sealed state once every item is up).
async fn push(
    session: &Session,
    vault: &impl VaultAccess,
    device_name: &str,
    report: &mut SyncReport,
    on_push: &(dyn Fn(PushProgress) + Sync),
) -> Result<Pushed> {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let waiting = vault.with_vault(|v| v.pending_count())?;
    let total = count(report.pushed + waiting);
    while let Some(plan) = vault.with_vault(|v| v.prepare_push(PUSH_BATCH, device_name))? {
        match send(session, &plan).await? {
            Sent::Applied { revision, applied } => {
                let sent = plan.changes.len();
                report.pushed += applied.len();
                let plan = only(plan, &applied);
                vault.with_vault(|v| v.pushed(&plan, revision))?;
                if waiting > PUSH_BATCH {
                    on_push(PushProgress {
                        sent: count(report.pushed).min(total),
                        total,
                    });
                }
                if applied.len() < sent {
                    // The legacy protocol took some and refused others: pull them, merge, go on.
                    return Ok(Pushed::Stale);
                }
            }
            Sent::Stale => return Ok(Pushed::Stale),
        }
    }
    let Some(plan) = vault.with_vault(|v| v.prepare_key_push(device_name))? else {
        return Ok(Pushed::All);
    };
    let (Some(material), Some(state)) = (&plan.key_material, &plan.state) else {
        return Ok(Pushed::All);
    };
    let request = ReplaceKeyMaterial {
        base_revision: plan.base_revision,
        key_material: wire_key_material(material),
        state: Bytes(state.clone()),
        no_other_fields: Default::default(),
    };
    let sent = session
        .authed(|api, token| {
            let request = &request;
            async move { api.replace_key(&token, request).await }
        })
        .await;
    match sent {
        Ok(done) => {
            vault.with_vault(|v| v.pushed(&plan, done.revision))?;
            Ok(Pushed::All)
        }
        Err(err) if err.code() == Some(ErrorCode::VaultChanged) => Ok(Pushed::Stale),
        Err(err) => Err(err),
    }
}

enum Sent {
    /// The service stored these items at `revision`.
    Applied {
        revision: i64,
        applied: Vec<uuid::Uuid>,
    },
    /// The vault moved on: nothing was stored.
    Stale,
}

/// What a prepared push sends to the service.
pub fn push_request(plan: &PushPlan) -> PushChanges {
    PushChanges {
        base_revision: plan.state.as_ref().map(|_| plan.base_revision),
        state: plan.state.clone().map(Bytes),
        changes: plan.changes.iter().map(to_change).collect(),
    }
}

async fn send(session: &Session, plan: &PushPlan) -> Result<Sent> {
    let request = push_request(plan);
    let result = session
        .authed(|api, token| {
            let request = &request;
            async move { api.push(&token, request).await }
        })
        .await;
    match result {
        Ok(result) => {
            let applied = result
                .results
                .iter()
                .filter_map(|r| match r {
                    ChangeResult::Applied { item_id, .. } => Some(*item_id),
                    ChangeResult::Conflict { .. } => None,
                })
                .collect();
            Ok(Sent::Applied {
                revision: result.revision,
                applied,
            })
        }
        Err(err) if err.code() == Some(ErrorCode::VaultChanged) => Ok(Sent::Stale),
        Err(err) => Err(err),
    }
}

/// The part of a plan the service applied (with a sealed state: all of it, or nothing).
fn only(mut plan: PushPlan, applied: &[uuid::Uuid]) -> PushPlan {
    plan.changes
        .retain(|change| applied.contains(&change.item_id));
    plan
}

fn count(pulled: &PullReport, report: &mut SyncReport) {
    report.key_changed |= pulled.key_changed;
    for (_, received) in &pulled.received {
        match received {
            Received::Stored | Received::RestoredRemoteEdit => report.pulled += 1,
            Received::Merged { conflicts } => {
                report.merged += 1;
                report.conflicts += conflicts;
            }
            Received::Quarantined => report.quarantined += 1,
            Received::AlreadyCurrent | Received::KeptLocalEdit | Received::BothDeleted => {}
        }
    }
}

fn to_change(pending: &keyhaven_vault::PendingChange) -> ItemChange {
    ItemChange {
        item_id: pending.item_id,
        base_revision: pending.base_revision,
        version: Some(wire::ItemVersion {
            counter: i64::try_from(pending.version.counter).unwrap_or(i64::MAX),
            writer: pending.version.writer,
        }),
        blob: Some(Bytes(pending.blob.clone())),
    }
}

fn to_version(item: RemoteItem) -> RemoteVersion {
    RemoteVersion {
        item_id: item.item_id,
        revision: item.revision,
        version: item.version.and_then(|v| {
            Some(ItemVersion {
                counter: u64::try_from(v.counter).ok()?,
                writer: v.writer,
            })
        }),
        blob: item.blob.map(|blob| blob.0),
    }
}
