use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::keys::{random_bytes, Key32};
use crate::error::{Result, VaultError};

/// A 16-byte random salt for the master-key derivation.
pub type Salt = [u8; 16];

const KEK_INFO: &[u8] = b"keyhaven/kek/v1";
const KEY_CHECK_INFO: &[u8] = b"keyhaven/key-check/v1";
const MIN_MEMORY_KIB: u32 = 19 * 1024;
const MIN_ITERATIONS: u32 = 2;
const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 64;

/// Argon2id cost parameters stored with the vault; validated against the OWASP floor on every use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

impl KdfParams {
    /// The weakest parameters any client accepts (OWASP: m = 19 MiB, t = 2, p = 1).
    pub const MINIMUM: KdfParams = KdfParams {
        memory_kib: MIN_MEMORY_KIB,
        iterations: MIN_ITERATIONS,
        parallelism: 1,
    };

    /// Refuses parameters below the floor (anti-downgrade) or absurdly above it (denial of service).
    pub fn validate(&self) -> Result<()> {
        if self.memory_kib < MIN_MEMORY_KIB || self.iterations < MIN_ITERATIONS {
            return Err(VaultError::WeakKdfParams(format!(
                "m={} KiB, t={} is below the minimum m={} KiB, t={}",
                self.memory_kib, self.iterations, MIN_MEMORY_KIB, MIN_ITERATIONS
            )));
        }
        if self.parallelism == 0
            || self.parallelism > MAX_PARALLELISM
            || self.memory_kib > MAX_MEMORY_KIB
            || self.iterations > MAX_ITERATIONS
            || self.memory_kib < 8 * self.parallelism
        {
            return Err(VaultError::InvalidKdfParams(format!(
                "m={} KiB, t={}, p={} is out of range",
                self.memory_kib, self.iterations, self.parallelism
            )));
        }
        Ok(())
    }

    /// The parameters a new master password gets: today's default, unless the vault's current
    /// ones are stronger (a password change never weakens the derivation).
    pub fn for_new_master_password(current: KdfParams) -> KdfParams {
        let default = KdfParams::default();
        if default.at_least_as_strong_as(&current) {
            default
        } else {
            current
        }
    }

    /// Whether these parameters cost an attacker at least as much per guess as `other` (memory
    /// and passes; more lanes only make one guess faster for the owner).
    pub fn at_least_as_strong_as(&self, other: &KdfParams) -> bool {
        self.memory_kib >= other.memory_kib && self.iterations >= other.iterations
    }

    /// Encodes the parameters for use as associated data (big-endian m, t, p).
    pub fn to_bytes(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..4].copy_from_slice(&self.memory_kib.to_be_bytes());
        out[4..8].copy_from_slice(&self.iterations.to_be_bytes());
        out[8..].copy_from_slice(&self.parallelism.to_be_bytes());
        out
    }

    /// Draws a fresh random salt for a new derivation.
    pub fn new_salt() -> Result<Salt> {
        random_bytes()
    }
}

/// Derives the master key with Argon2id, refusing parameters below the floor.
pub fn derive_master_key(master_password: &[u8], salt: &Salt, params: KdfParams) -> Result<Key32> {
    params.validate()?;
    argon2id(master_password, salt, params, None, &[])
}

/// Argon2id with no policy check; shared by [`derive_master_key`] and the RFC 9106 vector test.
fn argon2id(
    password: &[u8],
    salt: &[u8],
    params: KdfParams,
    secret: Option<&[u8]>,
    data: &[u8],
) -> Result<Key32> {
    let invalid = |e: argon2::Error| VaultError::InvalidKdfParams(e.to_string());
    let mut builder = argon2::ParamsBuilder::new();
    builder
        .m_cost(params.memory_kib)
        .t_cost(params.iterations)
        .p_cost(params.parallelism)
        .output_len(32)
        .data(argon2::AssociatedData::new(data).map_err(invalid)?);
    let argon_params: Params = builder.build().map_err(invalid)?;
    let argon = match secret {
        Some(secret) => {
            Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, argon_params)
                .map_err(invalid)?
        }
        None => Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params),
    };
    let mut key = Key32::zeroed();
    argon
        .hash_password_into(password, salt, key.as_mut_bytes())
        .map_err(invalid)?;
    Ok(key)
}

/// Derives the key-encryption key from the master key (HKDF-SHA256, info "keyhaven/kek/v1").
pub fn derive_kek(master_key: &Key32) -> Key32 {
    let mut kek = Key32::zeroed();
    hkdf_sha256(None, master_key.as_bytes(), KEK_INFO, kek.as_mut_bytes())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    kek
}

/// Tells whether a master key is the right one for a vault's key material without opening the
/// wrapped key (HKDF-SHA256 of the master key, info "keyhaven/key-check/v1", 16 bytes), so that
/// a mistyped master password and a wrapped key that was changed are told apart. It is no
/// better an oracle for guessing than the wrapped key itself.
pub fn key_check(master_key: &Key32) -> [u8; 16] {
    let mut check = [0u8; 16];
    hkdf_sha256(None, master_key.as_bytes(), KEY_CHECK_INFO, &mut check)
        .expect("16 bytes is a valid HKDF-SHA256 output length");
    check
}

/// A 32-byte key for one job, derived from `key` with HKDF-SHA256 and `info` naming the job.
pub(crate) fn derive_subkey(key: &Key32, info: &[u8]) -> Key32 {
    let mut out = Key32::zeroed();
    hkdf_sha256(None, key.as_bytes(), info, out.as_mut_bytes())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

fn hkdf_sha256(
    salt: Option<&[u8]>,
    ikm: &[u8],
    info: &[u8],
    okm: &mut [u8],
) -> Result<(), hkdf::InvalidLength> {
    Hkdf::<Sha256>::new(salt, ikm).expand(info, okm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test vector is valid hex")
    }

    #[test]
    fn argon2id_matches_rfc9106_test_vector() {
        let params = KdfParams {
            memory_kib: 32,
            iterations: 3,
            parallelism: 4,
        };
        let tag = argon2id(
            &[0x01; 32],
            &[0x02; 16],
            params,
            Some(&[0x03; 8]),
            &[0x04; 12],
        )
        .unwrap();
        assert_eq!(
            hex::encode(tag.as_bytes()),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    #[test]
    fn hkdf_matches_rfc5869_test_case_1() {
        let mut okm = [0u8; 42];
        hkdf_sha256(
            Some(&unhex("000102030405060708090a0b0c")),
            &[0x0b; 22],
            &unhex("f0f1f2f3f4f5f6f7f8f9"),
            &mut okm,
        )
        .unwrap();
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn hkdf_matches_rfc5869_test_case_3_without_salt_and_info() {
        let mut okm = [0u8; 42];
        hkdf_sha256(None, &[0x0b; 22], &[], &mut okm).unwrap();
        assert_eq!(
            hex::encode(okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    #[test]
    fn parameters_below_the_owasp_floor_are_refused() {
        for weak in [
            KdfParams {
                memory_kib: 19 * 1024 - 1,
                iterations: 3,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64 * 1024,
                iterations: 1,
                parallelism: 4,
            },
            KdfParams {
                memory_kib: 32,
                iterations: 3,
                parallelism: 4,
            },
        ] {
            let err = derive_master_key(b"pw", &[0; 16], weak).unwrap_err();
            assert_eq!(err.code(), "weak_kdf_params", "{weak:?}");
        }
        assert!(KdfParams::MINIMUM.validate().is_ok());
        assert!(KdfParams::default().validate().is_ok());
    }

    #[test]
    fn absurd_parameters_are_refused_before_allocating() {
        let huge = KdfParams {
            memory_kib: u32::MAX,
            iterations: 3,
            parallelism: 4,
        };
        assert_eq!(huge.validate().unwrap_err().code(), "invalid_kdf_params");
        let no_lanes = KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 0,
        };
        assert_eq!(
            no_lanes.validate().unwrap_err().code(),
            "invalid_kdf_params"
        );
    }

    #[test]
    fn kek_differs_from_master_key_and_is_deterministic() {
        let master = Key32::from_bytes([7; 32]);
        let a = derive_kek(&master);
        let b = derive_kek(&master);
        assert_eq!(a.as_bytes(), b.as_bytes());
        assert_ne!(a.as_bytes(), master.as_bytes());
    }
}
