//! Social sign-in broker (issue #6, in progress): the service is the OAuth authorization server
//! of the desktop app and the OpenID client of Google, Facebook and Apple. So far: the native
//! app's request rules (loopback redirect, PKCE S256) and ID token verification.

pub mod id_token;
pub mod loopback;
pub mod provider;

#[cfg(test)]
mod test_support;
