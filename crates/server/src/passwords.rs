//! Account password hashes: Argon2id with the service's own parameters, stored in PHC form.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::config::PasswordConfig;
use crate::error::{ApiError, ApiResult};

const HASH_LEN: usize = 32;

/// Hashes a password as `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
pub fn hash(password: &str, config: &PasswordConfig) -> Result<String, argon2::Error> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let digest = derive(
        password,
        &salt,
        config.memory_kib,
        config.iterations,
        config.parallelism,
    )?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        config.memory_kib,
        config.iterations,
        config.parallelism,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(digest.as_ref()),
    ))
}

/// Whether `password` matches `stored`; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Some((m, t, p, salt, expected)) = parse(stored) else {
        return false;
    };
    match derive(password, &salt, m, t, p) {
        Ok(digest) => digest.as_ref().ct_eq(&expected).into(),
        Err(_) => false,
    }
}

/// Spends the same work as [`verify`] so that an unknown email answers as slowly as a wrong
/// password.
pub fn verify_nothing(password: &str, config: &PasswordConfig) {
    let _ = derive(
        password,
        &[0u8; 16],
        config.memory_kib,
        config.iterations,
        config.parallelism,
    );
}

fn derive(
    password: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; HASH_LEN]>, argon2::Error> {
    let params = Params::new(m, t, p, Some(HASH_LEN))?;
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(
        password.as_bytes(),
        salt,
        out.as_mut(),
    )?;
    Ok(out)
}

/// [`hash`] on a blocking thread, so a request never stalls the async workers.
pub async fn hash_off_thread(config: &PasswordConfig, password: &str) -> ApiResult<String> {
    let password = Zeroizing::new(password.to_owned());
    let config = *config;
    tokio::task::spawn_blocking(move || hash(&password, &config))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// [`verify`] on a blocking thread; with no stored hash it spends the same work
/// ([`verify_nothing`]) and answers false.
pub async fn verify_off_thread(
    config: &PasswordConfig,
    password: &str,
    stored: Option<String>,
) -> ApiResult<bool> {
    let password = Zeroizing::new(password.to_owned());
    let config = *config;
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify(&password, &stored),
        None => {
            verify_nothing(&password, &config);
            false
        }
    })
    .await
    .map_err(ApiError::internal)
}

type Parsed = (u32, u32, u32, Vec<u8>, Vec<u8>);

fn parse(stored: &str) -> Option<Parsed> {
    let mut parts = stored.strip_prefix("$argon2id$v=19$")?.split('$');
    let params = parts.next()?;
    let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
    let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for pair in params.split(',') {
        let (key, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match key {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => return None,
        }
    }
    Some((m?, t?, p?, salt, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordConfig {
        PasswordConfig {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            min_length: 10,
        }
    }

    #[test]
    fn right_password_verifies_and_wrong_one_does_not() {
        let stored = hash("correct horse battery", &cheap()).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!stored.contains("horse"));
    }

    #[test]
    fn same_password_hashes_differently_each_time() {
        assert_ne!(
            hash("password1234", &cheap()).unwrap(),
            hash("password1234", &cheap()).unwrap()
        );
    }

    #[test]
    fn malformed_hashes_never_match() {
        for stored in [
            "",
            "$argon2id$v=19$m=64$AAAA$AAAA",
            "$bcrypt$xyz",
            "$argon2id$v=19$m=x,t=1,p=1$A$A",
        ] {
            assert!(!verify("anything", stored));
        }
    }
}
