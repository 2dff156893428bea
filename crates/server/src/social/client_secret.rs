//! Apple's client secret: not a fixed string but a short-lived ES256 JWT the service signs with
//! the private key Apple issued (a PKCS#8 `.p8` file): `iss` = team id, `sub` = client id,
//! `aud` = the provider's issuer, header `kid` = the key's id.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;
use serde::Deserialize;

/// How long a generated client secret is valid (Apple allows up to six months; one exchange
/// needs seconds).
const LIFETIME_SECONDS: u64 = 300;

/// Where the signing key is and whose it is (Apple's developer account).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSecretKey {
    /// The team id: the JWT's issuer.
    pub team_id: String,
    /// The key id Apple gave the key: the JWT header's `kid`.
    pub key_id: String,
    /// The `.p8` file (PKCS#8 PEM, P-256) Apple issued.
    pub key_file: PathBuf,
}

/// Why no client secret could be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientSecretError {
    #[error("cannot read the client secret key file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the client secret key is not a PKCS#8 P-256 private key")]
    NotP256,
    #[error("signing the client secret failed")]
    Signing,
}

impl ClientSecretKey {
    /// A client secret for `client_id` at the provider `audience`, valid for five minutes.
    pub fn mint(&self, client_id: &str, audience: &str) -> Result<String, ClientSecretError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.mint_at(client_id, audience, now)
    }

    fn mint_at(
        &self,
        client_id: &str,
        audience: &str,
        now: u64,
    ) -> Result<String, ClientSecretError> {
        let unreadable = |reason: String| ClientSecretError::Unreadable {
            path: self.key_file.display().to_string(),
            reason,
        };
        let pem = std::fs::read(&self.key_file).map_err(|e| unreadable(e.to_string()))?;
        let der =
            PrivatePkcs8KeyDer::from_pem_slice(&pem).map_err(|e| unreadable(e.to_string()))?;
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            der.secret_pkcs8_der(),
            &rng,
        )
        .map_err(|_| ClientSecretError::NotP256)?;
        let header = serde_json::json!({ "alg": "ES256", "kid": self.key_id, "typ": "JWT" });
        let claims = serde_json::json!({
            "iss": self.team_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key
            .sign(&rng, signing_input.as_bytes())
            .map_err(|_| ClientSecretError::Signing)?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn the_secret_is_an_es256_jwt_signed_by_the_key_with_apples_claims() {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("AuthKey_ABC123DEFG.p8");
        std::fs::write(&key_file, pair.serialize_pem()).unwrap();
        let key = ClientSecretKey {
            team_id: "TEAM123456".into(),
            key_id: "ABC123DEFG".into(),
            key_file,
        };
        let jwt = key
            .mint_at(
                "app.keyhaven.signin",
                "https://appleid.apple.com",
                1_800_000_000,
            )
            .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode(parts[0]);
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("ES256"), Some("ABC123DEFG"))
        );
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "app.keyhaven.signin");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        assert_eq!(
            claims["exp"].as_u64(),
            Some(1_800_000_000 + LIFETIME_SECONDS)
        );
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key_raw());
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(public.verify(signed.as_bytes(), &signature).is_ok());
        let mut tampered = signed.into_bytes();
        tampered[5] ^= 1;
        assert!(public.verify(&tampered, &signature).is_err());
    }

    #[test]
    fn a_missing_or_wrong_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut key = ClientSecretKey {
            team_id: "T".into(),
            key_id: "K".into(),
            key_file: dir.path().join("missing.p8"),
        };
        assert!(matches!(
            key.mint("c", "a"),
            Err(ClientSecretError::Unreadable { .. })
        ));
        let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        key.key_file = dir.path().join("other.p8");
        std::fs::write(&key.key_file, other.serialize_pem()).unwrap();
        assert!(matches!(
            key.mint("c", "a"),
            Err(ClientSecretError::NotP256)
        ));
    }
}
