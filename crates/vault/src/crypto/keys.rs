use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aead::{open, seal};
use super::kdf::{KdfParams, Salt};
use crate::error::{Result, VaultError};

const WRAP_DOMAIN: &[u8] = b"keyhaven/vault-key/v1";

/// 32 bytes of key material, zeroed on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key32([u8; 32]);

impl Key32 {
    pub(crate) fn zeroed() -> Self {
        Self([0; 32])
    }

    /// Wraps raw bytes (tests and known-answer vectors).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh key from the OS CSPRNG.
    pub fn random() -> Result<Self> {
        random_bytes().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8; 32] {
        &mut self.0
    }
}

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(<redacted>)")
    }
}

/// The key that seals every item of one vault; only ever stored wrapped under the KEK.
///
/// It keeps its AES-GCM key schedule, so sealing or opening an item costs no key setup.
#[derive(Clone)]
pub struct VaultKey {
    pub(crate) key: Key32,
    pub(crate) cipher: Aes256Gcm,
}

impl VaultKey {
    pub(crate) fn from_key(key: Key32) -> Self {
        let cipher = Aes256Gcm::new(key.as_bytes().into());
        Self { key, cipher }
    }

    /// A vault key of known bytes (known-answer tests, fuzz targets).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::from_key(Key32::from_bytes(bytes))
    }

    /// Generates a new random vault key.
    pub fn generate() -> Result<Self> {
        Key32::random().map(Self::from_key)
    }
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(<redacted>)")
    }
}

/// Fills an array from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| VaultError::Random)?;
    Ok(out)
}

fn wrap_aad(vault_id: Uuid, kdf: KdfParams, salt: &Salt) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_DOMAIN.len() + 16 + 12 + 16);
    aad.extend_from_slice(WRAP_DOMAIN);
    aad.extend_from_slice(vault_id.as_bytes());
    aad.extend_from_slice(&kdf.to_bytes());
    aad.extend_from_slice(salt);
    aad
}

/// Seals the vault key under the KEK, binding the vault id, KDF parameters and salt.
pub fn wrap_vault_key(
    vault_key: &VaultKey,
    kek: &Key32,
    vault_id: Uuid,
    kdf: KdfParams,
    salt: &Salt,
) -> Result<Vec<u8>> {
    let kek_cipher = Aes256Gcm::new(kek.as_bytes().into());
    seal(
        &kek_cipher,
        &wrap_aad(vault_id, kdf, salt),
        vault_key.key.as_bytes(),
    )
}

/// Opens a wrapped vault key; any wrong password, parameter or vault id fails the same way.
pub fn unwrap_vault_key(
    wrapped: &[u8],
    kek: &Key32,
    vault_id: Uuid,
    kdf: KdfParams,
    salt: &Salt,
) -> Result<VaultKey> {
    let kek_cipher = Aes256Gcm::new(kek.as_bytes().into());
    let plain = open(&kek_cipher, &wrap_aad(vault_id, kdf, salt), wrapped)?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::Integrity)?;
    Ok(VaultKey::from_key(Key32(bytes)))
}
