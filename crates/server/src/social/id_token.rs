//! Verifying an OpenID provider's ID token (DESIGN §4, social sign-in broker): the signature
//! against the provider's JWKS (RS256 or ES256 only; never a shared-secret algorithm, never
//! `none`), then `iss`, `aud`, `exp`, `iat` and the `nonce` this service sent. The checks are
//! the `openidconnect` crate's; this module fixes the policy and names the failures.

use chrono::{DateTime, Duration, TimeZone, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    ClaimsVerificationError, ClientId, IssuerUrl, Nonce, SignatureVerificationError,
};

/// How far in the future an `iat` may lie (clock skew between the provider and us).
const ALLOWED_SKEW: Duration = Duration::minutes(5);
/// What the `iat` check answers; the crate reports it as an expiry, this tells them apart.
const ISSUED_IN_FUTURE: &str = "issued in the future";

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// Who issued the token, as [`super::issuer_key`] writes it.
    pub issuer: String,
    /// The issuer's stable id of the person (`sub`); with the issuer, the account link.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches for the email (only then may it be matched to an account).
    pub email_verified: bool,
}

/// Why an ID token was refused. Each is a refusal, never a reason to retry with looser rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is not a well-formed signed JWT")]
    Malformed,
    #[error("the ID token is not signed")]
    Unsigned,
    #[error("the ID token is signed with a key the provider does not publish")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    BadSignature,
    #[error("the ID token uses a signature algorithm that is not accepted")]
    DisallowedAlgorithm,
    #[error("the ID token was issued by someone else")]
    WrongIssuer,
    #[error("the ID token was issued to another client")]
    WrongAudience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token claims to be issued in the future")]
    IssuedInFuture,
    #[error("the ID token answers another sign-in (nonce mismatch)")]
    WrongNonce,
    #[error("the ID token was refused: {0}")]
    Other(String),
}

/// What an ID token must match: the provider's issuer and keys, our client id, the nonce we sent.
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub jwks: &'a CoreJsonWebKeySet,
    pub nonce: &'a str,
    /// Unix milliseconds (the service's clock, so tests can move it).
    pub now_ms: i64,
}

/// Verifies `token` and returns who signed in.
pub fn verify(token: &str, expect: &Expectations<'_>) -> Result<VerifiedIdentity, IdTokenError> {
    let token: CoreIdToken = token.parse().map_err(|_| IdTokenError::Malformed)?;
    let issuer = IssuerUrl::new(expect.issuer.to_owned())
        .map_err(|e| IdTokenError::Other(format!("configured issuer: {e}")))?;
    let now = Utc
        .timestamp_millis_opt(expect.now_ms)
        .single()
        .ok_or_else(|| IdTokenError::Other("the clock is out of range".into()))?;
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(expect.client_id.to_owned()),
        issuer,
        expect.jwks.clone(),
    )
    .set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ])
    .set_time_fn(move || now)
    .set_issue_time_verifier_fn(move |iat: DateTime<Utc>| {
        if iat > now + ALLOWED_SKEW {
            Err(ISSUED_IN_FUTURE.into())
        } else {
            Ok(())
        }
    });
    let nonce = Nonce::new(expect.nonce.to_owned());
    let claims = token.claims(&verifier, &nonce).map_err(classify)?;
    Ok(VerifiedIdentity {
        issuer: super::issuer_key(claims.issuer().as_str()),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
    })
}

fn classify(err: ClaimsVerificationError) -> IdTokenError {
    match err {
        ClaimsVerificationError::Expired(message) if message == ISSUED_IN_FUTURE => {
            IdTokenError::IssuedInFuture
        }
        ClaimsVerificationError::Expired(_) => IdTokenError::Expired,
        ClaimsVerificationError::InvalidAudience(_) => IdTokenError::WrongAudience,
        ClaimsVerificationError::InvalidIssuer(_) => IdTokenError::WrongIssuer,
        ClaimsVerificationError::InvalidNonce(_) => IdTokenError::WrongNonce,
        ClaimsVerificationError::SignatureVerification(sig) => match sig {
            SignatureVerificationError::NoMatchingKey => IdTokenError::UnknownKey,
            SignatureVerificationError::NoSignature => IdTokenError::Unsigned,
            SignatureVerificationError::DisallowedAlg(_) => IdTokenError::DisallowedAlgorithm,
            SignatureVerificationError::CryptoError(_) => IdTokenError::BadSignature,
            other => IdTokenError::Other(other.to_string()),
        },
        other => IdTokenError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::test_support::{
        jwks, key, provider_key, raw_token, token, Claims, CLIENT, ISSUER, NONCE, NOW_MS,
    };

    fn check(token: &str) -> Result<VerifiedIdentity, IdTokenError> {
        let jwks = jwks();
        verify(
            token,
            &Expectations {
                issuer: ISSUER,
                client_id: CLIENT,
                jwks: &jwks,
                nonce: NONCE,
                now_ms: NOW_MS,
            },
        )
    }

    #[test]
    fn a_valid_token_names_the_subject_and_the_verified_email() {
        let identity = check(&token(Claims::default(), &provider_key())).unwrap();
        assert_eq!(
            identity,
            VerifiedIdentity {
                issuer: ISSUER.into(),
                subject: "248289761001".into(),
                email: Some("ada@example.com".into()),
                email_verified: true,
            }
        );
    }

    #[test]
    fn apples_string_booleans_are_read_as_booleans() {
        for (sent, verified) in [("true", true), ("false", false)] {
            let claims = serde_json::json!({
                "iss": ISSUER,
                "aud": CLIENT,
                "sub": "001234.apple",
                "nonce": NONCE,
                "iat": (NOW_MS - 10_000) / 1000,
                "exp": (NOW_MS + 3_600_000) / 1000,
                "email": "ada@privaterelay.appleid.com",
                "email_verified": sent,
                "is_private_email": "true",
                "auth_time": (NOW_MS - 10_000) / 1000,
                "nonce_supported": true,
            });
            let identity = check(&raw_token(&claims, &provider_key())).unwrap();
            assert_eq!(identity.email_verified, verified, "{sent}");
            assert_eq!(identity.subject, "001234.apple");
        }
    }

    #[test]
    fn a_tampered_signature_is_refused() {
        let good = token(Claims::default(), &provider_key());
        let (rest, signature) = good.rsplit_once('.').unwrap();
        let mut bytes: Vec<char> = signature.chars().collect();
        let middle = bytes.len() / 2;
        bytes[middle] = if bytes[middle] == 'A' { 'B' } else { 'A' };
        let tampered = format!("{rest}.{}", bytes.into_iter().collect::<String>());
        assert_eq!(check(&tampered), Err(IdTokenError::BadSignature));
    }

    #[test]
    fn tampered_claims_do_not_match_the_signature() {
        let good = token(Claims::default(), &provider_key());
        let other = token(
            Claims {
                nonce: "another",
                ..Claims::default()
            },
            &provider_key(),
        );
        let parts: Vec<&str> = good.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        let spliced = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
        assert_eq!(check(&spliced), Err(IdTokenError::BadSignature));
    }

    #[test]
    fn a_token_for_another_client_is_refused() {
        let other_client = Claims {
            audience: "someone-else",
            ..Claims::default()
        };
        assert_eq!(
            check(&token(other_client, &provider_key())),
            Err(IdTokenError::WrongAudience)
        );
    }

    #[test]
    fn a_token_from_another_issuer_is_refused() {
        let other_issuer = Claims {
            issuer: "https://evil.example.test",
            ..Claims::default()
        };
        assert_eq!(
            check(&token(other_issuer, &provider_key())),
            Err(IdTokenError::WrongIssuer)
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let expired = Claims {
            issued_ms: NOW_MS - 7_200_000,
            expires_ms: NOW_MS - 1_000,
            ..Claims::default()
        };
        assert_eq!(
            check(&token(expired, &provider_key())),
            Err(IdTokenError::Expired)
        );
    }

    #[test]
    fn a_token_issued_in_the_future_is_refused() {
        let future = Claims {
            issued_ms: NOW_MS + 600_000,
            expires_ms: NOW_MS + 4_000_000,
            ..Claims::default()
        };
        assert_eq!(
            check(&token(future, &provider_key())),
            Err(IdTokenError::IssuedInFuture)
        );
    }

    #[test]
    fn a_token_answering_another_sign_in_is_refused() {
        let replayed = Claims {
            nonce: "a-nonce-from-another-sign-in",
            ..Claims::default()
        };
        assert_eq!(
            check(&token(replayed, &provider_key())),
            Err(IdTokenError::WrongNonce)
        );
    }

    #[test]
    fn a_key_the_provider_does_not_publish_is_refused() {
        let stranger = key(include_str!("testdata/other-key.pem"), "key-2");
        assert_eq!(
            check(&token(Claims::default(), &stranger)),
            Err(IdTokenError::UnknownKey)
        );
        let impostor = key(include_str!("testdata/other-key.pem"), "key-1");
        assert_eq!(
            check(&token(Claims::default(), &impostor)),
            Err(IdTokenError::BadSignature),
            "a known kid with another key's signature"
        );
    }

    #[test]
    fn unsigned_and_garbage_tokens_are_refused() {
        assert_eq!(check("not a jwt"), Err(IdTokenError::Malformed));
        let good = token(Claims::default(), &provider_key());
        let (_, rest) = good.split_once('.').unwrap();
        let none_header = "eyJhbGciOiJub25lIn0"; // {"alg":"none"}
        let (payload, _) = rest.split_once('.').unwrap();
        let unsigned = format!("{none_header}.{payload}.");
        assert_eq!(check(&unsigned), Err(IdTokenError::Unsigned));
    }
}
