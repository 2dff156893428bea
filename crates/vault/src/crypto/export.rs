//! Keyhaven's encrypted export file: a JSON envelope whose payload is sealed with AES-256-GCM under
//! a key derived from a password the person chooses (Argon2id, then HKDF-SHA256). Every field of
//! the envelope is under the seal, so a changed byte anywhere is found. The README documents it.

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::aead::{open, seal};
use super::kdf::{derive_master_key, derive_subkey, KdfParams, Salt};
use super::keys::Key32;

/// The `format` field every encrypted export carries.
pub const EXPORT_FORMAT: &str = "keyhaven-encrypted-export";
/// The envelope version this build writes and the newest it reads.
pub const EXPORT_VERSION: u32 = 1;
const KDF_NAME: &str = "argon2id";
const CIPHER_NAME: &str = "aes-256-gcm";
const AAD_DOMAIN: &[u8] = b"keyhaven/export/v1";
const KEY_INFO: &[u8] = b"keyhaven/export-key/v1";
const CHECK_INFO: &[u8] = b"keyhaven/export-check/v1";
/// The costliest derivation a file may ask for before its password is tried: a file from
/// anywhere must not take gigabytes or minutes to refuse.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 16;

/// Why an encrypted export does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealedExportError {
    #[error("it is not a Keyhaven encrypted export ({0})")]
    NotAnExport(String),
    #[error("it was written by a newer Keyhaven (export version {0}); update Keyhaven to read it")]
    NewerVersion(u32),
    #[error("its key derivation settings are unsafe or out of range ({0})")]
    UnsafeKdf(String),
    #[error("the export password is wrong")]
    WrongPassword,
    #[error("it was changed or damaged after it was written: a byte does not match its seal")]
    Changed,
    #[error("the operating system's random number generator failed")]
    Random,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u32,
    kdf: KdfHeader,
    cipher: String,
    /// HKDF of the derived key ("keyhaven/export-check/v1"): tells a wrong password from a
    /// changed file, and is no better an oracle for guessing than the ciphertext.
    key_check: String,
    /// nonce ‖ ciphertext ‖ tag.
    sealed: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfHeader {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

/// Seals `plaintext` under `password` with `params`, giving the file's bytes.
pub fn seal_export(
    password: &[u8],
    params: KdfParams,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealedExportError> {
    let salt: Salt = KdfParams::new_salt().map_err(|_| SealedExportError::Random)?;
    let (key, check) = derive(password, &salt, params)?;
    let cipher = Aes256Gcm::new(key.as_bytes().into());
    let sealed = seal(&cipher, &aad(EXPORT_VERSION, params, &salt), plaintext)
        .map_err(|_| SealedExportError::Random)?;
    let envelope = Envelope {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        kdf: KdfHeader {
            algorithm: KDF_NAME.into(),
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
            salt: BASE64.encode(salt),
        },
        cipher: CIPHER_NAME.into(),
        key_check: BASE64.encode(check),
        sealed: BASE64.encode(sealed),
    };
    let mut bytes = serde_json::to_vec_pretty(&envelope)
        .map_err(|e| SealedExportError::NotAnExport(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Whether `bytes` look like an encrypted export (its `format` field), before any password.
pub fn is_sealed_export(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        format: String,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.format == EXPORT_FORMAT)
}

/// Opens what [`seal_export`] wrote, telling a wrong password from a changed file.
pub fn open_export(password: &[u8], bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealedExportError> {
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|e| SealedExportError::NotAnExport(e.to_string()))?;
    if envelope.format != EXPORT_FORMAT {
        return Err(SealedExportError::NotAnExport(format!(
            "its format is {:?}",
            envelope.format
        )));
    }
    if envelope.version > EXPORT_VERSION {
        return Err(SealedExportError::NewerVersion(envelope.version));
    }
    if envelope.version == 0 {
        return Err(SealedExportError::NotAnExport("version 0".into()));
    }
    if envelope.kdf.algorithm != KDF_NAME || envelope.cipher != CIPHER_NAME {
        return Err(SealedExportError::UnsafeKdf(format!(
            "{} with {} is not what Keyhaven writes",
            envelope.kdf.algorithm, envelope.cipher
        )));
    }
    let params = KdfParams {
        memory_kib: envelope.kdf.memory_kib,
        iterations: envelope.kdf.iterations,
        parallelism: envelope.kdf.parallelism,
    };
    params
        .validate()
        .map_err(|e| SealedExportError::UnsafeKdf(e.to_string()))?;
    if params.memory_kib > MAX_MEMORY_KIB || params.iterations > MAX_ITERATIONS {
        return Err(SealedExportError::UnsafeKdf(format!(
            "m={} KiB, t={} costs more than Keyhaven ever asks of a computer",
            params.memory_kib, params.iterations
        )));
    }
    let field = |name: &str, text: &str| {
        BASE64
            .decode(text)
            .map_err(|_| SealedExportError::NotAnExport(format!("its {name} is not base64")))
    };
    let salt: Salt = field("salt", &envelope.kdf.salt)?
        .try_into()
        .map_err(|_| SealedExportError::Changed)?;
    let stored_check = field("key_check", &envelope.key_check)?;
    let sealed = field("sealed", &envelope.sealed)?;
    let (key, check) = derive(password, &salt, params)?;
    if stored_check != check {
        return Err(SealedExportError::WrongPassword);
    }
    let cipher = Aes256Gcm::new(key.as_bytes().into());
    open(&cipher, &aad(envelope.version, params, &salt), &sealed)
        .map_err(|_| SealedExportError::Changed)
}

fn derive(
    password: &[u8],
    salt: &Salt,
    params: KdfParams,
) -> Result<(Key32, [u8; 16]), SealedExportError> {
    let root = derive_master_key(password, salt, params)
        .map_err(|e| SealedExportError::UnsafeKdf(e.to_string()))?;
    let key = derive_subkey(&root, KEY_INFO);
    let mut check = [0u8; 16];
    check.copy_from_slice(&derive_subkey(&root, CHECK_INFO).as_bytes()[..16]);
    Ok((key, check))
}

fn aad(version: u32, params: KdfParams, salt: &Salt) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 4 + 12 + 16);
    aad.extend_from_slice(AAD_DOMAIN);
    aad.extend_from_slice(&version.to_be_bytes());
    aad.extend_from_slice(&params.to_bytes());
    aad.extend_from_slice(salt);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams::MINIMUM;

    fn edit(bytes: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        f(&mut value);
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn a_sealed_export_opens_with_its_password_only() {
        let file = seal_export(b"correct horse battery", FAST, b"{\"items\":[]}").unwrap();
        assert!(is_sealed_export(&file));
        assert_eq!(
            &*open_export(b"correct horse battery", &file).unwrap(),
            b"{\"items\":[]}"
        );
        assert_eq!(
            open_export(b"correct horse batterz", &file),
            Err(SealedExportError::WrongPassword)
        );
    }

    #[test]
    fn every_changed_byte_of_the_payload_is_found() {
        let file = seal_export(b"pw", FAST, b"secret payload").unwrap();
        let value: serde_json::Value = serde_json::from_slice(&file).unwrap();
        let sealed = BASE64.decode(value["sealed"].as_str().unwrap()).unwrap();
        for at in 0..sealed.len() {
            let mut changed = sealed.clone();
            changed[at] ^= 0x01;
            let file = edit(&file, |v| v["sealed"] = BASE64.encode(&changed).into());
            assert_eq!(
                open_export(b"pw", &file),
                Err(SealedExportError::Changed),
                "byte {at}"
            );
        }
    }

    #[test]
    fn a_changed_header_is_found() {
        let file = seal_export(b"pw", FAST, b"payload").unwrap();
        let stronger = edit(&file, |v| v["kdf"]["iterations"] = 3.into());
        assert!(matches!(
            open_export(b"pw", &stronger),
            Err(SealedExportError::WrongPassword)
        ));
        let weaker = edit(&file, |v| v["kdf"]["iterations"] = 1.into());
        assert!(matches!(
            open_export(b"pw", &weaker),
            Err(SealedExportError::UnsafeKdf(_))
        ));
        let newer = edit(&file, |v| v["version"] = 2.into());
        assert_eq!(
            open_export(b"pw", &newer),
            Err(SealedExportError::NewerVersion(2))
        );
        let extra = edit(&file, |v| v["note"] = "hi".into());
        assert!(matches!(
            open_export(b"pw", &extra),
            Err(SealedExportError::NotAnExport(_))
        ));
    }

    #[test]
    fn other_files_are_not_exports() {
        assert!(!is_sealed_export(b"{\"items\":[]}"));
        assert!(matches!(
            open_export(b"pw", b"name,url\n"),
            Err(SealedExportError::NotAnExport(_))
        ));
        let file = seal_export(b"pw", FAST, b"payload").unwrap();
        assert!(matches!(
            open_export(b"pw", &file[..file.len() / 2]),
            Err(SealedExportError::NotAnExport(_))
        ));
    }
}
