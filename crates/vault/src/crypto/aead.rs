use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::keys::{random_bytes, VaultKey};
use crate::error::{Result, VaultError};

const NONCE_LEN: usize = 12;
const ITEM_DOMAIN: &[u8] = b"keyhaven/item";

/// The format version this build seals items in; part of every item's associated data. Format 2
/// puts the item's version and deleted state under the seal (`crate::sealed`).
pub const ITEM_FORMAT_VERSION: u8 = 2;
/// The format of vaults written before item versions: the item's JSON alone. Still opened, to
/// upgrade them; never written.
pub const LEGACY_ITEM_FORMAT: u8 = 1;

/// AES-256-GCM with a fresh random 96-bit nonce; output is nonce ‖ ciphertext ‖ tag.
pub(crate) fn seal(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes()?;
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce_bytes),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::Integrity)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens what [`seal`] produced; any change to key, data or associated data fails.
pub(crate) fn open(cipher: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(VaultError::Integrity);
    }
    let (nonce_bytes, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| VaultError::Integrity)?;
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| VaultError::Integrity)
}

fn item_aad(vault_id: Uuid, item_id: Uuid, version: u8) -> Vec<u8> {
    let mut aad = Vec::with_capacity(ITEM_DOMAIN.len() + 33);
    aad.extend_from_slice(ITEM_DOMAIN);
    aad.extend_from_slice(vault_id.as_bytes());
    aad.extend_from_slice(item_id.as_bytes());
    aad.push(version);
    aad
}

/// Seals one item's plaintext: format byte ‖ nonce ‖ ciphertext ‖ tag, bound to vault id and item id.
pub fn seal_item(
    vault_key: &VaultKey,
    vault_id: Uuid,
    item_id: Uuid,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    seal_item_as(ITEM_FORMAT_VERSION, vault_key, vault_id, item_id, plaintext)
}

/// [`seal_item`] in a given format (tests build vaults of the legacy format with it).
pub(crate) fn seal_item_as(
    format: u8,
    vault_key: &VaultKey,
    vault_id: Uuid,
    item_id: Uuid,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let sealed = seal(
        &vault_key.cipher,
        &item_aad(vault_id, item_id, format),
        plaintext,
    )?;
    let mut out = Vec::with_capacity(1 + sealed.len());
    out.push(format);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a sealed item of this or the legacy format, returning the format and the plaintext; a
/// blob moved to another item or vault id fails the integrity check.
pub fn open_item(
    vault_key: &VaultKey,
    vault_id: Uuid,
    item_id: Uuid,
    blob: &[u8],
) -> Result<(u8, Zeroizing<Vec<u8>>)> {
    let (&format, sealed) = blob.split_first().ok_or(VaultError::Integrity)?;
    if format != ITEM_FORMAT_VERSION && format != LEGACY_ITEM_FORMAT {
        return Err(VaultError::UnsupportedFormat(format));
    }
    let plain = open(
        &vault_key.cipher,
        &item_aad(vault_id, item_id, format),
        sealed,
    )?;
    Ok((format, plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{unwrap_vault_key, wrap_vault_key, KdfParams, Key32};
    use aes_gcm::aead::KeyInit;
    use proptest::prelude::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test vector is valid hex")
    }

    fn nist_encrypt(key: &str, iv: &str, plaintext: &str, aad: &str) -> String {
        let key: [u8; 32] = unhex(key).try_into().unwrap();
        let iv: [u8; 12] = unhex(iv).try_into().unwrap();
        let cipher = Aes256Gcm::new(&key.into());
        let out = cipher
            .encrypt(
                &Nonce::from(iv),
                Payload {
                    msg: &unhex(plaintext),
                    aad: &unhex(aad),
                },
            )
            .unwrap();
        hex::encode(out)
    }

    /// NIST GCM specification (McGrew–Viega) test case 14: AES-256, zero key, one zero block.
    #[test]
    fn aes256gcm_matches_nist_test_case_14() {
        let out = nist_encrypt(&"00".repeat(32), &"00".repeat(12), &"00".repeat(16), "");
        assert_eq!(
            out,
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"
        );
    }

    /// NIST GCM specification test case 16: AES-256 with associated data.
    #[test]
    fn aes256gcm_matches_nist_test_case_16() {
        let out = nist_encrypt(
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        );
        assert_eq!(
            out,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b"
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let key = VaultKey::from_key(Key32::from_bytes([1; 32]));
        let (v, i) = (Uuid::new_v4(), Uuid::new_v4());
        let a = seal_item(&key, v, i, b"same").unwrap();
        let b = seal_item(&key, v, i, b"same").unwrap();
        assert_ne!(a[1..13], b[1..13]);
    }

    fn kdf_strategy() -> impl Strategy<Value = KdfParams> {
        (19456u32..200_000, 2u32..10, 1u32..8).prop_map(|(m, t, p)| KdfParams {
            memory_kib: m,
            iterations: t,
            parallelism: p,
        })
    }

    proptest! {
        #[test]
        fn sealed_items_round_trip(key in any::<[u8; 32]>(), plaintext in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let key = VaultKey::from_key(Key32::from_bytes(key));
            let (v, i) = (Uuid::new_v4(), Uuid::new_v4());
            let blob = seal_item(&key, v, i, &plaintext).unwrap();
            let (format, opened) = open_item(&key, v, i, &blob).unwrap();
            prop_assert_eq!(format, ITEM_FORMAT_VERSION);
            prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
        }

        #[test]
        fn any_flipped_bit_fails_with_a_typed_error(plaintext in proptest::collection::vec(any::<u8>(), 0..512), bit in any::<usize>()) {
            let key = VaultKey::from_key(Key32::from_bytes([9; 32]));
            let (v, i) = (Uuid::new_v4(), Uuid::new_v4());
            let mut blob = seal_item(&key, v, i, &plaintext).unwrap();
            let bit = bit % (blob.len() * 8);
            blob[bit / 8] ^= 1 << (bit % 8);
            let err = open_item(&key, v, i, &blob).unwrap_err();
            prop_assert!(matches!(err.code(), "integrity_check_failed" | "unsupported_format"));
        }

        #[test]
        fn truncated_blobs_fail_with_a_typed_error(plaintext in proptest::collection::vec(any::<u8>(), 0..256), cut in any::<usize>()) {
            let key = VaultKey::from_key(Key32::from_bytes([9; 32]));
            let (v, i) = (Uuid::new_v4(), Uuid::new_v4());
            let blob = seal_item(&key, v, i, &plaintext).unwrap();
            let cut = cut % blob.len();
            prop_assert_eq!(open_item(&key, v, i, &blob[..cut]).unwrap_err().code(), "integrity_check_failed");
        }

        #[test]
        fn a_blob_under_another_item_or_vault_id_fails(plaintext in proptest::collection::vec(any::<u8>(), 0..256)) {
            let key = VaultKey::from_key(Key32::from_bytes([3; 32]));
            let (v, i) = (Uuid::new_v4(), Uuid::new_v4());
            let blob = seal_item(&key, v, i, &plaintext).unwrap();
            prop_assert_eq!(open_item(&key, v, Uuid::new_v4(), &blob).unwrap_err().code(), "integrity_check_failed");
            prop_assert_eq!(open_item(&key, Uuid::new_v4(), i, &blob).unwrap_err().code(), "integrity_check_failed");
        }

        #[test]
        fn a_wrapped_vault_key_rejects_any_changed_binding(kdf in kdf_strategy(), other in kdf_strategy(), salt in any::<[u8; 16]>()) {
            let kek = Key32::from_bytes([5; 32]);
            let vault_key = VaultKey::from_key(Key32::from_bytes([6; 32]));
            let id = Uuid::new_v4();
            let wrapped = wrap_vault_key(&vault_key, &kek, id, kdf, &salt).unwrap();
            let back = unwrap_vault_key(&wrapped, &kek, id, kdf, &salt).unwrap();
            prop_assert_eq!(back.key.as_bytes(), vault_key.key.as_bytes());
            if other != kdf {
                prop_assert_eq!(unwrap_vault_key(&wrapped, &kek, id, other, &salt).unwrap_err().code(), "integrity_check_failed");
            }
            prop_assert_eq!(unwrap_vault_key(&wrapped, &kek, Uuid::new_v4(), kdf, &salt).unwrap_err().code(), "integrity_check_failed");
            let mut other_salt = salt;
            other_salt[0] ^= 1;
            prop_assert_eq!(unwrap_vault_key(&wrapped, &kek, id, kdf, &other_salt).unwrap_err().code(), "integrity_check_failed");
            prop_assert_eq!(unwrap_vault_key(&wrapped, &Key32::from_bytes([4; 32]), id, kdf, &salt).unwrap_err().code(), "integrity_check_failed");
        }
    }
}
