//! The service as an OAuth authorization server for a native app (RFC 8252, RFC 7636): which
//! redirect URIs a desktop client may use, and PKCE S256 — the only method accepted, so a
//! client cannot downgrade to `plain` or leave PKCE out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why an authorization request is refused before anything is sent to a provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(
        "the redirect URI must be http://127.0.0.1:<port>/callback or http://[::1]:<port>/callback"
    )]
    RedirectUri,
    #[error("PKCE with code_challenge_method=S256 is required")]
    PkceMethod,
    #[error("the code challenge must be 43 base64url characters (SHA-256)")]
    PkceChallenge,
    #[error("the code verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")]
    PkceVerifier,
}

/// The path every loopback redirect must have; only the port may vary (RFC 8252 §7.3).
pub const CALLBACK_PATH: &str = "/callback";

/// Accepts `http://127.0.0.1:<port>/callback` and `http://[::1]:<port>/callback`, any port, with
/// nothing else: no `localhost` (it may resolve elsewhere), no user info, query or fragment.
pub fn check_redirect_uri(uri: &str) -> Result<(), RequestError> {
    let rest = uri
        .strip_prefix("http://")
        .ok_or(RequestError::RedirectUri)?;
    let (authority, path) = rest.split_once('/').ok_or(RequestError::RedirectUri)?;
    if format!("/{path}") != CALLBACK_PATH {
        return Err(RequestError::RedirectUri);
    }
    let port = authority
        .strip_prefix("127.0.0.1:")
        .or_else(|| authority.strip_prefix("[::1]:"))
        .ok_or(RequestError::RedirectUri)?;
    let canonical = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port.parse::<u16>().is_ok();
    if canonical {
        Ok(())
    } else {
        Err(RequestError::RedirectUri)
    }
}

/// Checks the authorization request's PKCE parameters: S256 and a SHA-256-sized challenge.
pub fn check_challenge(method: Option<&str>, challenge: &str) -> Result<(), RequestError> {
    if method != Some("S256") {
        return Err(RequestError::PkceMethod);
    }
    let decoded = URL_SAFE_NO_PAD
        .decode(challenge)
        .map_err(|_| RequestError::PkceChallenge)?;
    if challenge.len() != 43 || decoded.len() != 32 {
        return Err(RequestError::PkceChallenge);
    }
    Ok(())
}

/// Whether `verifier` is well formed and hashes to `challenge` (compared in constant time).
pub fn verifier_matches(verifier: &str, challenge: &str) -> Result<bool, RequestError> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(RequestError::PkceVerifier);
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Ok(computed.as_bytes().ct_eq(challenge.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_ip_literals_with_the_callback_path_are_accepted() {
        for good in [
            "http://127.0.0.1:49152/callback",
            "http://127.0.0.1:1/callback",
            "http://[::1]:65535/callback",
        ] {
            assert_eq!(check_redirect_uri(good), Ok(()), "{good}");
        }
        for bad in [
            "http://localhost:49152/callback",
            "https://127.0.0.1:49152/callback",
            "http://127.0.0.1/callback",
            "http://127.0.0.1:0/callback",
            "http://127.0.0.1:70000/callback",
            "http://127.0.0.1:080/callback",
            "http://127.0.0.1:+80/callback",
            "http://127.0.0.1:49152/callback/",
            "http://127.0.0.1:49152/other",
            "http://127.0.0.1:49152/callback?next=evil",
            "http://127.0.0.1:49152/callback#x",
            "http://user@127.0.0.1:49152/callback",
            "http://127.0.0.1.evil.example:49152/callback",
            "http://10.0.0.1:49152/callback",
            "keyhaven://callback",
        ] {
            assert_eq!(
                check_redirect_uri(bad),
                Err(RequestError::RedirectUri),
                "{bad}"
            );
        }
    }

    /// RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn pkce_is_s256_only() {
        assert_eq!(check_challenge(Some("S256"), CHALLENGE), Ok(()));
        assert_eq!(
            check_challenge(Some("plain"), CHALLENGE),
            Err(RequestError::PkceMethod)
        );
        assert_eq!(
            check_challenge(None, CHALLENGE),
            Err(RequestError::PkceMethod)
        );
        assert_eq!(
            check_challenge(Some("S256"), "short"),
            Err(RequestError::PkceChallenge)
        );
        assert_eq!(
            check_challenge(Some("S256"), VERIFIER),
            Ok(()),
            "43 chars of 32 bytes"
        );
        assert_eq!(
            check_challenge(Some("S256"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="),
            Err(RequestError::PkceChallenge)
        );
    }

    #[test]
    fn the_verifier_must_hash_to_the_challenge() {
        assert_eq!(verifier_matches(VERIFIER, CHALLENGE), Ok(true));
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert_eq!(verifier_matches(other, CHALLENGE), Ok(false));
        assert_eq!(
            verifier_matches("too-short", CHALLENGE),
            Err(RequestError::PkceVerifier)
        );
        let bad_chars = format!("{}!", &VERIFIER[..43]);
        assert_eq!(
            verifier_matches(&bad_chars, CHALLENGE),
            Err(RequestError::PkceVerifier)
        );
        assert_eq!(
            verifier_matches(&"a".repeat(129), CHALLENGE),
            Err(RequestError::PkceVerifier)
        );
    }
}
