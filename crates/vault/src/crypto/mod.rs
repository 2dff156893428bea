//! The key hierarchy of DESIGN §2: master key (Argon2id) → KEK (HKDF) → wrapped vault key → sealed items.

mod aead;
mod export;
mod kdf;
mod keys;

#[cfg(test)]
pub(crate) use aead::seal_item_as;
pub(crate) use aead::{open as open_sealed, seal as seal_with};
pub use aead::{open_item, seal_item, ITEM_FORMAT_VERSION, LEGACY_ITEM_FORMAT};
pub use export::{
    is_sealed_export, open_export, seal_export, SealedExportError, EXPORT_FORMAT, EXPORT_VERSION,
};
pub(crate) use kdf::derive_subkey;
pub use kdf::{derive_kek, derive_master_key, key_check, KdfParams, Salt};
pub use keys::{random_bytes, unwrap_vault_key, wrap_vault_key, Key32, VaultKey};
