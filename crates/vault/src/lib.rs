//! The Keyhaven vault core: everything a vault is, without a window or a network.
//!
//! - [`crypto`]: the key hierarchy (Argon2id master key → HKDF KEK → wrapped vault key → AES-256-GCM items).
//! - [`item`]: what a person stores (login, secure note, card, identity) and how edits keep history.
//! - [`Vault`]: the encrypted SQLite file of one OS user; start reading here.
//! - [`search`] and [`generator`]: in-memory search while unlocked, passwords and their strength.
//! - [`totp`] and [`health`]: one-time codes from a login's secret, and the password-health report.
//! - [`version`] and [`state`]: item versions and the vault's sealed state, which let a device
//!   check everything the account service serves (DESIGN §5a).
//!
//! It is not the account, sync or UI: those live in other crates and call into this one.

pub mod crypto;
mod error;
pub mod fields;
pub mod generator;
pub mod health;
pub mod item;
pub mod masked;
pub mod merge;
pub mod merge_item;
pub mod paths;
mod sealed;
pub mod search;
pub mod state;
mod store;
pub mod totp;
pub mod version;

pub use error::{Result, VaultError};
pub use store::{
    open_blob, KeyMaterial, LastChange, PendingChange, Pull, PullReport, PushPlan, QuarantinedItem,
    Received, RemoteVersion, SyncLink, Vault, SCHEMA_VERSION,
};
