//! The encrypted vault as the service keeps it: key material and item blobs it cannot read.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bytes::Bytes;

/// Argon2id parameters of the master key, stored for other devices (clients validate them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// A vault's key material: useless without the master password. The service keeps it for every
/// device of the account and never reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyMaterial {
    /// The client-chosen vault id; part of every item's associated data.
    pub vault_id: Uuid,
    /// The vault key, AES-256-GCM-wrapped under the key-encryption key.
    pub wrapped_vault_key: Bytes,
    pub salt: Bytes,
    pub kdf: KdfParams,
    /// Tells a wrong master password from changed key material (16 bytes); absent for vaults
    /// created before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_check: Option<Bytes>,
}

/// Creates the account's one vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVault {
    #[serde(flatten)]
    pub key_material: KeyMaterial,
    /// The sealed state of the new, empty vault (revision 0). Without it the vault uses the
    /// legacy protocol until a client upgrades it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Bytes>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub no_other_fields: crate::strict::NoOtherFields,
}

/// The vault's key material, its current revision and the sealed state of that revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultInfo {
    #[serde(flatten)]
    pub key_material: KeyMaterial,
    /// The latest revision; 0 for a vault without changes.
    pub revision: i64,
    /// The sealed state of `revision`; absent for a vault of the legacy protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Bytes>,
}

/// Which write of an item a blob holds, as its writer named it (DESIGN §5a); the service keeps it
/// beside the blob for the clients, which check it against the version sealed inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemVersion {
    /// Raised by every write past every version of the item its writer has seen (1 or more).
    pub counter: i64,
    /// The vault file (replica) that wrote it.
    pub writer: Uuid,
}

/// One item as the service stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteItem {
    pub item_id: Uuid,
    /// The revision that last changed this item.
    pub revision: i64,
    /// The version the blob holds; absent for an item pushed with the legacy protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ItemVersion>,
    /// The encrypted item (a deletion is a sealed tombstone); absent only for a deletion pushed
    /// with the legacy protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<Bytes>,
    /// Whether the service holds no content (a legacy deletion).
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
    /// On the last page: the sealed state of `revision`, read together with the items (absent
    /// for a vault of the legacy protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Bytes>,
    /// On the last page: the key material, read together with the items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material: Option<KeyMaterial>,
}

/// One item change: its item must still be at `base_revision` (0 = new item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemChange {
    pub item_id: Uuid,
    pub base_revision: i64,
    /// The version the new blob holds (required with a sealed state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ItemVersion>,
    /// The new encrypted item, or its sealed tombstone; absent deletes it in the legacy protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<Bytes>,
}

/// Pushes changes. With `state`: all of them or none, at revision `base_revision + 1`, if the
/// vault is still at `base_revision` (else `vault_changed`). Without (the legacy protocol, for a
/// vault that has no sealed state): each one is compare-and-swap on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushChanges {
    /// The vault revision the push is based on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_revision: Option<i64>,
    /// The sealed state of the vault once the push is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Bytes>,
    pub changes: Vec<ItemChange>,
}

/// Replaces the key material (a changed master password, or the first sealed state of a vault
/// of the legacy protocol), with the sealed state that names it, if the vault is still at
/// `base_revision` (else `vault_changed`). Moves the revision by one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplaceKeyMaterial {
    pub base_revision: i64,
    #[serde(flatten)]
    pub key_material: KeyMaterial,
    pub state: Bytes,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub no_other_fields: crate::strict::NoOtherFields,
}

/// The revision a replaced key material is stored at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyMaterialReplaced {
    pub revision: i64,
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
