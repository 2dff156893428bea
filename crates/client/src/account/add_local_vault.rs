//! Adding this computer's vault to the account's (an account made later, when the account
//! already has a vault): the items of this
//! computer's local vault go into the account's vault, re-encrypted under its key. Exact
//! duplicates (same kind, title, fields, folder, tags) are folded; everything else is kept with
//! its id, times and history.
//!
//! Nothing touches the local vault until the end: the account's vault is built beside it
//! (`<vault>.merging`), filled, and synced; only when the service has every item does it take
//! the local vault's place. An interruption (network, the app killed) leaves the local vault as
//! it was and the half-built copy, which the next attempt continues — items keep their ids, so
//! nothing is added twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::DataDir;

use keyhaven_protocol::vault::VaultInfo;
use keyhaven_vault::item::Item;
use keyhaven_vault::paths::remove_vault_files;
use keyhaven_vault::{Vault, VaultError};

use crate::connect::{check_sharing, cloud_vault, join_cloud_vault};
use crate::error::ClientError;
use crate::session::Session;
use crate::sync::sync_once;

type Result<T> = std::result::Result<T, ClientError>;

/// What a merge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Local items added to the account's vault.
    pub added: usize,
    /// Local items the account's vault already had exactly.
    pub folded: usize,
}

/// Whether connecting must merge: there is a vault at `path`, linked to no account, and the
/// account's vault `cloud` (as [`cloud_vault`] found it) is another one.
pub fn local_vault_needs_merge(path: &Path, cloud: Option<&VaultInfo>) -> Result<bool> {
    let Some(cloud) = cloud else {
        return Ok(false);
    };
    if !keyhaven_vault::paths::vault_exists(path) {
        return Ok(false);
    }
    let local = Vault::open(path)?;
    Ok(local.sync_link()?.is_none() && local.id() != cloud.key_material.vault_id)
}

/// Merges `local_items` (the unlocked local vault's) into the account's vault, unlocked with
/// `account_master_password`, then puts the result in place of the vault at `path`. `close_local`
/// is called just before the swap: whoever holds the local vault open must close it. As with
/// [`crate::connect::attach_vault`], another OS user of this computer on the account needs
/// `share_with_other_os_user`.
pub async fn merge_into_cloud_vault(
    session: &Session,
    path: &Path,
    local_items: &[Item],
    account_master_password: &str,
    share_with_other_os_user: bool,
    close_local: impl FnOnce(),
) -> Result<(Vault, MergeReport)> {
    check_sharing(session, share_with_other_os_user)?;
    let info = cloud_vault(session)
        .await?
        .ok_or_else(|| ClientError::Protocol("the account has no vault to merge into".into()))?;
    let files = DataDir::for_vault(path);
    let merging = files.merging();
    let resumed = match Vault::open(&merging) {
        Ok(vault) if vault.id() == info.key_material.vault_id => true,
        Ok(other) => {
            // Left from a merge into another account's vault: closed, then removed.
            drop(other);
            remove_vault_files(&merging)?;
            false
        }
        Err(VaultError::CorruptVault { .. }) => {
            remove_vault_files(&merging)?;
            false
        }
        Err(_) => false,
    };
    let vault = join_cloud_vault(&merging, account_master_password, &info, resumed)?;
    let vault = Mutex::new(vault);
    vault
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .link_account(&session.link().account_id.to_string())?;
    // First everything the account has, so that duplicates are recognised.
    sync_once(session, &vault).await?;
    let report = {
        let mut vault = vault
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        add_missing(&mut vault, local_items)?
    };
    sync_once(session, &vault).await?;
    let vault = vault
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let waiting = vault.pending_count()?;
    if waiting > 0 {
        // Kept for the next attempt; the local vault is untouched.
        return Err(ClientError::Offline(format!(
            "{waiting} item(s) have not reached Keyhaven Account yet; the merge continues when you connect again"
        )));
    }
    drop(vault);
    close_local();
    let before = files.before_merge();
    let storage = |e: std::io::Error| ClientError::Storage {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    // Every local item is in the account's vault and on the service: the local file can go.
    remove_vault_files(&before)?;
    std::fs::rename(path, &before).map_err(storage)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&merging, path).map_err(storage)?;
    remove_vault_files(&before)?;
    let mut merged = Vault::open(path)?;
    merged.unlock(account_master_password.as_bytes())?;
    Ok((merged, report))
}

/// Adds each local item the vault does not hold already: by id (added by an earlier,
/// interrupted attempt) or by content (an exact duplicate, folded).
fn add_missing(vault: &mut Vault, local_items: &[Item]) -> Result<MergeReport> {
    let held = vault.items()?;
    let ids: HashSet<_> = held.iter().map(|item| item.id).collect();
    let mut present: HashSet<_> = held.iter().map(fingerprint).collect();
    let mut report = MergeReport::default();
    for item in local_items {
        if ids.contains(&item.id) {
            report.added += 1;
        } else if present.contains(&fingerprint(item)) {
            report.folded += 1;
        } else {
            vault.import(item)?;
            present.insert(fingerprint(item));
            report.added += 1;
        }
    }
    Ok(report)
}

/// What makes two items "the same" for folding: everything the person wrote, not ids or times.
fn fingerprint(item: &Item) -> String {
    serde_json::to_string(&(
        &item.title,
        &item.content,
        item.favourite,
        &item.folder,
        &item.tags,
    ))
    .unwrap_or_else(|_| item.id.to_string())
}
