//! The encrypted vault as the service keeps it: key material and item blobs it cannot read.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bytes::Bytes;

/// Argon2id parameters of the master key, stored for other devices (clients validate them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Creates the account's one vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVault {
    /// The client-chosen vault id; part of every item's associated data.
    pub vault_id: Uuid,
    /// The vault key, AES-256-GCM-wrapped under the key-encryption key.
    pub wrapped_vault_key: Bytes,
    pub salt: Bytes,
    pub kdf: KdfParams,
}

/// The vault's key material and its current revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultInfo {
    pub vault_id: Uuid,
    pub wrapped_vault_key: Bytes,
    pub salt: Bytes,
    pub kdf: KdfParams,
    /// The latest revision; 0 for a vault without changes.
    pub revision: i64,
}

/// One item as the service stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteItem {
    pub item_id: Uuid,
    /// The revision that last changed this item.
    pub revision: i64,
    /// The encrypted item; `None` for a tombstone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<Bytes>,
    pub deleted: bool,
}

/// A page of changes after a revision (`GET /v1/vault/changes?since=R`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesPage {
    /// The vault's revision when the page was read.
    pub revision: i64,
    /// Items changed after `since`, oldest revision first.
    pub items: Vec<RemoteItem>,
    /// Ask again with `since = next_since` while this is true.
    pub more: bool,
    pub next_since: i64,
}

/// One item change to apply if the item is still at `base_revision` (0 = new item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemChange {
    pub item_id: Uuid,
    pub base_revision: i64,
    /// The new encrypted item; `None` deletes it (tombstone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<Bytes>,
}

/// Pushes changes; each one is compare-and-swap on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushChanges {
    pub changes: Vec<ItemChange>,
}

/// What happened to one pushed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChangeResult {
    /// Stored at the push's new revision.
    Applied { item_id: Uuid, revision: i64 },
    /// The item moved on since `base_revision`: here is what the service holds now.
    Conflict { item_id: Uuid, current: RemoteItem },
}

/// The answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    /// The vault's revision after the push (unchanged when nothing applied).
    pub revision: i64,
    /// One entry per change, in request order.
    pub results: Vec<ChangeResult>,
}

/// The data of a `revision` server-sent event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionEvent {
    pub revision: i64,
}

/// The name of the server-sent event announcing a new revision.
pub const REVISION_EVENT: &str = "revision";
