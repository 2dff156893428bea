//! Random tokens, SMS codes and how they are stored: only as hashes.
//!
//! Tokens carry 256 bits, so a plain SHA-256 is enough to store them. SMS codes carry only
//! ~20 bits, so they are stored as HMAC-SHA256 under the server secret, which lives outside the
//! database: a database dump alone does not reveal a code.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The HMAC key for SMS codes.
#[derive(Clone)]
pub struct ServerSecret(Zeroizing<[u8; 32]>);

impl ServerSecret {
    /// Wraps a secret read from the configuration.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Reads `path`, or creates it (mode 0600) with a fresh random secret.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => crate::config::decode_secret(&text)
                .map(Self::new)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold 64 hex digits", path.display()),
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                OsRng.fill_bytes(&mut bytes);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path)?;
                file.write_all(hex::encode(bytes).as_bytes())?;
                file.sync_all()?;
                Ok(Self::new(bytes))
            }
            Err(e) => Err(e),
        }
    }

    /// The stored form of an SMS code: HMAC(secret, challenge id, code), hex.
    pub fn code_hash(&self, challenge_id: &str, code: &str) -> String {
        hex::encode(self.code_mac(challenge_id, code).finalize().into_bytes())
    }

    /// Whether `code` is the one whose hash is `stored`, in constant time.
    pub fn code_matches(&self, challenge_id: &str, code: &str, stored: &str) -> bool {
        let Ok(expected) = hex::decode(stored) else {
            return false;
        };
        self.code_mac(challenge_id, code)
            .verify_slice(&expected)
            .is_ok()
    }

    fn code_mac(&self, challenge_id: &str, code: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes a key of any length");
        mac.update(challenge_id.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac
    }
}

/// A new bearer token: 256 random bits, base64url.
pub fn new_token() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// A new opaque identifier for challenges: 128 random bits, base64url.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A six-digit SMS code, uniformly from the OS CSPRNG.
pub fn new_sms_code() -> Zeroizing<String> {
    Zeroizing::new(format!("{:06}", OsRng.gen_range(0..1_000_000u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_codes_are_six_digits() {
        for _ in 0..1000 {
            let code = new_sms_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn code_hashes_depend_on_secret_challenge_and_code() {
        let secret = ServerSecret::new([7; 32]);
        let stored = secret.code_hash("challenge", "123456");
        assert!(secret.code_matches("challenge", "123456", &stored));
        assert!(!secret.code_matches("challenge", "123457", &stored));
        assert!(!secret.code_matches("other", "123456", &stored));
        assert!(!ServerSecret::new([8; 32]).code_matches("challenge", "123456", &stored));
        assert!(!stored.contains("123456"));
    }

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(a.as_bytes()).unwrap().len(), 32);
        assert_ne!(*a, *b);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn secret_file_is_created_once_with_owner_only_access() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server-secret");
        let first = ServerSecret::load_or_create(&path).unwrap();
        let again = ServerSecret::load_or_create(&path).unwrap();
        assert_eq!(first.code_hash("c", "1"), again.code_hash("c", "1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
