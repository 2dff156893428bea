//! The sealed state of a vault (DESIGN §5a): what the whole vault held after a push (how many
//! items, a commitment to every item's id and version, the key material) in a form the service
//! stores and serves but can neither read nor forge. Every device checks each pull against it,
//! and against the newest state it has seen, before it takes anything in.
//!
//! The commitment is a keyed multiset hash (MSet-Add-Hash, Clarke et al. 2003): the sum, modulo
//! 2^256, of HMAC-SHA256(vault id ‖ item id ‖ version) over every item, tombstones included. A
//! change moves it by the elements that changed, so a push or a pull costs the same whatever the
//! size of the vault, and without the key no element can even be computed.

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::{derive_subkey, open_sealed, seal_with, VaultKey};
use crate::error::{Result, VaultError};
use crate::version::ItemVersion;
use crate::KeyMaterial;

const STATE_KEY_INFO: &[u8] = b"keyhaven/state/v1";
const ELEMENT_KEY_INFO: &[u8] = b"keyhaven/state-element/v1";
const STATE_AAD: &[u8] = b"keyhaven/state/v1";
const KEY_MATERIAL_DOMAIN: &[u8] = b"keyhaven/key-material/v1";
const STATE_FORMAT: u8 = 1;

/// The two keys of the sealed state, derived from the vault key: one seals the state, the other
/// makes the commitment's elements.
pub(crate) struct StateKeys {
    cipher: Aes256Gcm,
    /// HMAC-SHA256 keyed once; each element clones it (no key schedule per element).
    element: Hmac<Sha256>,
}

impl StateKeys {
    pub(crate) fn of(vault_key: &VaultKey) -> Self {
        let seal = derive_subkey(&vault_key.key, STATE_KEY_INFO);
        let element = derive_subkey(&vault_key.key, ELEMENT_KEY_INFO);
        Self {
            cipher: Aes256Gcm::new(seal.as_bytes().into()),
            element: Hmac::<Sha256>::new_from_slice(element.as_bytes())
                .expect("HMAC takes a key of any length"),
        }
    }

    /// The commitment's element for one version of one item.
    pub(crate) fn element(&self, vault_id: Uuid, item_id: Uuid, version: ItemVersion) -> Element {
        let mut mac = self.element.clone();
        mac.update(vault_id.as_bytes());
        mac.update(item_id.as_bytes());
        mac.update(&version.to_bytes());
        Element(mac.finalize().into_bytes().into())
    }
}

/// One item version's share of a [`SetCommitment`].
#[derive(Clone, Copy)]
pub(crate) struct Element([u8; 32]);

/// A commitment to a set of (item id, version) pairs: how many, and the sum of their elements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCommitment {
    pub count: u64,
    #[serde(with = "hex::serde")]
    pub sum: [u8; 32],
}

impl SetCommitment {
    /// An item that was not in the set.
    pub(crate) fn insert(&mut self, element: &Element) {
        self.count = self.count.wrapping_add(1);
        self.sum = add(&self.sum, &element.0);
    }

    /// An item of the set at another version.
    pub(crate) fn replace(&mut self, old: &Element, new: &Element) {
        self.sum = add(&sub(&self.sum, &old.0), &new.0);
    }

    /// Reads the stored form (count, 32 bytes of sum); a missing sum is the empty set's.
    pub(crate) fn from_columns(count: i64, sum: Option<Vec<u8>>) -> Result<Self> {
        let sum = match sum {
            Some(bytes) => bytes.try_into().map_err(|_| VaultError::Integrity)?,
            None => [0; 32],
        };
        Ok(Self {
            count: u64::try_from(count).map_err(|_| VaultError::Integrity)?,
            sum,
        })
    }

    /// The count as SQLite stores it.
    pub(crate) fn count_column(&self) -> i64 {
        i64::try_from(self.count).unwrap_or(i64::MAX)
    }
}

/// Little-endian 256-bit addition modulo 2^256.
fn add(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let total = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = total as u8;
        carry = total >> 8;
    }
    out
}

/// Little-endian 256-bit subtraction modulo 2^256.
fn sub(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in 0..32 {
        let mut total = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = 0;
        if total < 0 {
            total += 256;
            borrow = 1;
        }
        out[i] = total as u8;
    }
    out
}

/// What a vault held after one push (revision), as the device that pushed it sealed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultState {
    pub vault_id: Uuid,
    /// The service revision this state is of; one more with every push.
    pub revision: i64,
    /// Every item the service holds for the vault, tombstones included.
    pub items: SetCommitment,
    /// SHA-256 of the key material ([`key_material_hash`]): a changed wrapped key, salt or KDF
    /// is only taken from a state that names it.
    #[serde(with = "hex::serde")]
    pub key_material_hash: [u8; 32],
    /// The replica id of the vault file that pushed.
    pub writer: Uuid,
    /// The name of the device that pushed, as it calls itself ("Last changed … on <name>").
    pub writer_name: String,
    /// When it pushed, in milliseconds since the Unix epoch (the writer's clock).
    pub written_at: i64,
}

fn state_aad(vault_id: Uuid, revision: i64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(STATE_AAD.len() + 25);
    aad.extend_from_slice(STATE_AAD);
    aad.push(STATE_FORMAT);
    aad.extend_from_slice(vault_id.as_bytes());
    aad.extend_from_slice(&revision.to_be_bytes());
    aad
}

/// Seals a state under the vault's state key, bound to its vault id and revision.
pub(crate) fn seal_state(keys: &StateKeys, state: &VaultState) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(state).map_err(|e| VaultError::InvalidItem(e.to_string()))?;
    seal_with(
        &keys.cipher,
        &state_aad(state.vault_id, state.revision),
        &json,
    )
}

/// Opens the sealed state the service says is of `revision`; one of another vault or revision, or
/// changed in any byte, fails.
pub(crate) fn open_state(
    keys: &StateKeys,
    vault_id: Uuid,
    revision: i64,
    sealed: &[u8],
) -> Result<VaultState> {
    let json = open_sealed(&keys.cipher, &state_aad(vault_id, revision), sealed)?;
    let state: VaultState = serde_json::from_slice(&json).map_err(|_| VaultError::Integrity)?;
    if state.vault_id != vault_id || state.revision != revision {
        return Err(VaultError::Integrity);
    }
    Ok(state)
}

/// SHA-256 of a vault's key material (vault id, KDF parameters, salt, wrapped vault key, key
/// check), each part length-prefixed.
pub fn key_material_hash(material: &KeyMaterial) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(KEY_MATERIAL_DOMAIN);
    hash.update(material.vault_id.as_bytes());
    hash.update(material.kdf.to_bytes());
    for part in [
        material.salt.as_slice(),
        material.wrapped_vault_key.as_slice(),
        material.key_check.as_deref().unwrap_or_default(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{KdfParams, Key32};
    use proptest::prelude::*;

    fn keys() -> StateKeys {
        StateKeys::of(&VaultKey::from_key(Key32::from_bytes([7; 32])))
    }

    fn version(counter: u64, writer: u128) -> ItemVersion {
        ItemVersion {
            counter,
            writer: Uuid::from_u128(writer),
        }
    }

    fn state(revision: i64) -> VaultState {
        VaultState {
            vault_id: Uuid::from_u128(9),
            revision,
            items: SetCommitment::default(),
            key_material_hash: [3; 32],
            writer: Uuid::from_u128(1),
            writer_name: "ada-laptop".into(),
            written_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn a_sealed_state_opens_only_for_its_vault_and_revision_and_unchanged() {
        let keys = keys();
        let sealed = seal_state(&keys, &state(5)).unwrap();
        assert_eq!(
            open_state(&keys, Uuid::from_u128(9), 5, &sealed).unwrap(),
            state(5)
        );
        assert!(open_state(&keys, Uuid::from_u128(9), 4, &sealed).is_err());
        assert!(open_state(&keys, Uuid::from_u128(8), 5, &sealed).is_err());
        let other = StateKeys::of(&VaultKey::from_key(Key32::from_bytes([8; 32])));
        assert!(open_state(&other, Uuid::from_u128(9), 5, &sealed).is_err());
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(open_state(&keys, Uuid::from_u128(9), 5, &flipped).is_err());
    }

    #[test]
    fn the_key_material_hash_covers_every_part() {
        let material = KeyMaterial {
            vault_id: Uuid::from_u128(9),
            kdf: KdfParams::default(),
            salt: vec![1; 16],
            wrapped_vault_key: vec![2; 60],
            key_check: Some(vec![3; 16]),
        };
        let base = key_material_hash(&material);
        let mut changed = material.clone();
        changed.salt[0] ^= 1;
        assert_ne!(key_material_hash(&changed), base);
        let mut changed = material.clone();
        changed.wrapped_vault_key.push(0);
        assert_ne!(key_material_hash(&changed), base);
        let mut changed = material.clone();
        changed.kdf.iterations += 1;
        assert_ne!(key_material_hash(&changed), base);
        let mut changed = material.clone();
        changed.key_check = None;
        assert_ne!(key_material_hash(&changed), base);
    }

    proptest! {
        /// Built up change by change or all at once, the same set gives the same commitment; any
        /// other set (an item missing, extra or at another version) gives another.
        #[test]
        fn the_commitment_depends_only_on_the_set(
            versions in proptest::collection::btree_map(0u128..40, (1u64..5, 0u128..3), 1..20),
            order in any::<u64>(),
        ) {
            let keys = keys();
            let vault = Uuid::from_u128(9);
            let element = |id: u128, (c, w): (u64, u128)| keys.element(vault, Uuid::from_u128(id), version(c, w));
            let mut direct = SetCommitment::default();
            for (&id, &v) in &versions {
                direct.insert(&element(id, v));
            }
            // Another route to the same set: every item first at counter 9, then moved to its
            // version, in a shuffled order.
            let mut ids: Vec<_> = versions.keys().copied().collect();
            let len = ids.len();
            ids.rotate_left((order as usize) % len);
            let mut incremental = SetCommitment::default();
            for &id in &ids {
                incremental.insert(&element(id, (9, 9)));
            }
            for &id in ids.iter().rev() {
                incremental.replace(&element(id, (9, 9)), &element(id, versions[&id]));
            }
            prop_assert_eq!(incremental, direct);

            let (&first, &v) = versions.iter().next().unwrap();
            let mut missing = SetCommitment::default();
            for (&id, &v) in versions.iter().skip(1) {
                missing.insert(&element(id, v));
            }
            prop_assert_ne!(missing, direct);
            let mut older = direct;
            older.replace(&element(first, v), &element(first, (v.0 + 1, v.1)));
            prop_assert_ne!(older, direct);
            let mut extra = direct;
            extra.insert(&element(1000, (1, 0)));
            prop_assert_ne!(extra, direct);
        }
    }
}
