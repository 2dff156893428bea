//! The key hierarchy of DESIGN §2: master key (Argon2id) → KEK (HKDF) → wrapped vault key → sealed items.

mod aead;
mod kdf;
mod keys;

pub use aead::{open_item, seal_item, ITEM_FORMAT_VERSION};
pub use kdf::{derive_kek, derive_master_key, KdfParams, Salt};
pub use keys::{random_bytes, unwrap_vault_key, wrap_vault_key, Key32, VaultKey};
