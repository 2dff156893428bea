//! Social sign-in broker (DESIGN §4): the service is the OAuth authorization server of the
//! desktop app and the CLI (loopback redirect, PKCE S256) and the OpenID client of Google,
//! Facebook and Apple (provider discovery and code exchange, ID token verification, Apple's
//! signed client secret).

pub mod client_secret;
pub mod id_token;
pub mod loopback;
pub mod provider;

#[cfg(test)]
mod test_support;

/// An issuer as identities are keyed by it: without a trailing "/", so that
/// `https://appleid.apple.com/` and `https://appleid.apple.com` are one issuer.
pub fn issuer_key(issuer: &str) -> String {
    issuer.trim_end_matches('/').to_owned()
}
