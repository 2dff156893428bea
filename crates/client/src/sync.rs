//! One sync of the local vault with the account's cloud vault (DESIGN §5): push every local
//! change with its base revision, merge what conflicts, pull what changed since the last pull,
//! and push again what the merges produced. Offline is normal: nothing is lost, the next sync
//! picks up where this one stopped.

use std::sync::Mutex;

use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::vault::{ChangeResult, ItemChange, PushChanges, RemoteItem};
use keyhaven_vault::{PendingChange, Received, RemoteVersion, Vault, VaultError};

use crate::error::ClientError;
use crate::session::Session;

type Result<T> = std::result::Result<T, ClientError>;

/// Most changes sent in one push (the service takes up to 500).
const PUSH_BATCH: usize = 500;
/// Push/merge rounds in one sync; a change still conflicting after that waits for the next sync.
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

impl VaultAccess for Mutex<Vault> {
    fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> keyhaven_vault::Result<T>,
    ) -> keyhaven_vault::Result<T> {
        let mut vault = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut vault)
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
    /// The service revision this device has now taken in.
    pub revision: i64,
}

/// Runs one full sync of `vault` with the account of `session`.
pub async fn sync_once(session: &Session, vault: &impl VaultAccess) -> Result<SyncReport> {
    let account_id = session.link().account_id.to_string();
    let linked = vault.with_vault(|v| v.sync_link())?;
    match linked {
        Some(link) if link.account_id == account_id => {}
        Some(_) => return Err(ClientError::Vault(VaultError::LinkedElsewhere)),
        None => return Err(ClientError::Vault(VaultError::NotLinked)),
    }
    let mut report = SyncReport::default();
    push(session, vault, &mut report).await?;
    pull(session, vault, &mut report).await?;
    // Merges made while pulling are local changes now.
    push(session, vault, &mut report).await?;
    report.revision = vault
        .with_vault(|v| v.sync_link())?
        .map_or(0, |link| link.revision);
    Ok(report)
}

async fn push(session: &Session, vault: &impl VaultAccess, report: &mut SyncReport) -> Result<()> {
    for _ in 0..MAX_ROUNDS {
        let pending = vault.with_vault(|v| v.pending_changes())?;
        if pending.is_empty() {
            return Ok(());
        }
        let mut conflicted = false;
        for batch in pending.chunks(PUSH_BATCH) {
            let request = PushChanges {
                changes: batch.iter().map(to_change).collect(),
            };
            let result = session
                .authed(|api, token| {
                    let request = &request;
                    async move { api.push(&token, request).await }
                })
                .await?;
            for outcome in result.results {
                match outcome {
                    ChangeResult::Applied { item_id, revision } => {
                        let pushed =
                            batch.iter().find(|p| p.item_id == item_id).ok_or_else(|| {
                                ClientError::Protocol("push result for an item not pushed".into())
                            })?;
                        vault.with_vault(|v| {
                            v.mark_pushed(item_id, revision, pushed.blob.as_deref())
                        })?;
                        report.pushed += 1;
                    }
                    ChangeResult::Conflict { current, .. } => {
                        conflicted = true;
                        let received = vault.with_vault(|v| v.receive(&to_version(current)))?;
                        count(received, report);
                    }
                }
            }
        }
        if !conflicted {
            return Ok(());
        }
    }
    Ok(())
}

async fn pull(session: &Session, vault: &impl VaultAccess, report: &mut SyncReport) -> Result<()> {
    let mut since = vault
        .with_vault(|v| v.sync_link())?
        .map_or(0, |link| link.revision);
    loop {
        let page = session
            .authed(|api, token| async move { api.changes(&token, since).await })
            .await?;
        let reached = if page.more {
            page.next_since
        } else {
            page.revision
        };
        let versions: Vec<RemoteVersion> = page.items.into_iter().map(to_version).collect();
        let received = vault.with_vault(|v| v.receive_page(&versions, reached))?;
        for r in received {
            count(r, report);
        }
        if !page.more {
            return Ok(());
        }
        if page.next_since <= since {
            return Err(ClientError::Protocol(
                "the change feed did not advance".into(),
            ));
        }
        since = page.next_since;
    }
}

fn count(received: Received, report: &mut SyncReport) {
    match received {
        Received::Stored | Received::RestoredRemoteEdit => report.pulled += 1,
        Received::Merged { conflicts } => {
            report.merged += 1;
            report.conflicts += conflicts;
        }
        Received::AlreadyCurrent | Received::KeptLocalEdit | Received::BothDeleted => {}
    }
}

fn to_change(pending: &PendingChange) -> ItemChange {
    ItemChange {
        item_id: pending.item_id,
        base_revision: pending.base_revision,
        blob: pending.blob.clone().map(Bytes::from),
    }
}

fn to_version(item: RemoteItem) -> RemoteVersion {
    RemoteVersion {
        item_id: item.item_id,
        revision: item.revision,
        blob: if item.deleted {
            None
        } else {
            item.blob.map(|blob| blob.0)
        },
    }
}
