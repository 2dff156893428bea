//! Test helpers for social sign-in: the test provider's signing keys and signed ID tokens.

use chrono::{TimeZone, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};

pub const ISSUER: &str = "https://accounts.example.test";
pub const CLIENT: &str = "keyhaven-service";
pub const NONCE: &str = "n-0S6_WzA2Mj";
pub const NOW_MS: i64 = 1_800_000_000_000;

pub fn key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

pub fn provider_key() -> CoreRsaPrivateSigningKey {
    key(include_str!("testdata/provider-key.pem"), "key-1")
}

/// The provider's published keys: only `key-1`.
pub fn jwks() -> CoreJsonWebKeySet {
    CoreJsonWebKeySet::new(vec![provider_key().as_verification_key()])
}

pub struct Claims {
    pub issuer: &'static str,
    pub audience: &'static str,
    pub nonce: &'static str,
    pub issued_ms: i64,
    pub expires_ms: i64,
}

impl Default for Claims {
    fn default() -> Self {
        Self {
            issuer: ISSUER,
            audience: CLIENT,
            nonce: NONCE,
            issued_ms: NOW_MS - 10_000,
            expires_ms: NOW_MS + 3_600_000,
        }
    }
}

/// An ID token with exactly these claims, as a provider with quirks sends them (Apple's string
/// booleans), signed RS256 with `key-1`'s `signer`.
pub fn raw_token(claims: &serde_json::Value, signer: &CoreRsaPrivateSigningKey) -> String {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"RS256","kid":"key-1"}"#),
        b64(claims.to_string().as_bytes())
    );
    let signature = signer
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    format!("{input}.{}", b64(&signature))
}

pub fn token(claims: Claims, signer: &CoreRsaPrivateSigningKey) -> String {
    let time = |ms: i64| Utc.timestamp_millis_opt(ms).unwrap();
    let standard = StandardClaims::new(SubjectIdentifier::new("248289761001".into()))
        .set_email(Some(EndUserEmail::new("ada@example.com".into())))
        .set_email_verified(Some(true));
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(claims.issuer.into()).unwrap(),
        vec![Audience::new(claims.audience.into())],
        time(claims.expires_ms),
        time(claims.issued_ms),
        standard,
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(claims.nonce.into())));
    CoreIdToken::new(
        claims,
        signer,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap()
    .to_string()
}
