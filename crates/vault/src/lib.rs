//! The Keyhaven vault core: everything a vault is, without a window or a network.
//!
//! - [`crypto`]: the key hierarchy (Argon2id master key → HKDF KEK → wrapped vault key → AES-256-GCM items).
//! - [`item`]: what a person stores (login, secure note, card, identity) and how edits keep history.
//! - [`Vault`]: the encrypted SQLite file of one OS user; start reading here.
//! - [`search`] and [`generator`]: in-memory search while unlocked, passwords and their strength.
//!
//! It is not the account, sync or UI: those live in other crates and call into this one.

pub mod crypto;
mod error;
pub mod generator;
pub mod item;
pub mod merge;
pub mod merge_item;
pub mod paths;
pub mod search;
mod store;

pub use error::{Result, VaultError};
pub use store::{
    KeyMaterial, PendingChange, Received, RemoteVersion, SyncLink, Vault, SCHEMA_VERSION,
};
