//! The client side of Keyhaven Account, shared by the desktop app and the `keyhaven` CLI:
//!
//! - [`ApiClient`]: a typed HTTP client for every `/v1` route; problem documents become
//!   [`ClientError`] values the UI and the CLI explain.
//! - [`session`]: a device's session — the link file, the refresh token in the OS keyring, the
//!   access token in memory.
//! - [`connect`]: making the local vault the account's vault (first device) or a copy of it.
//! - [`account`]: the account steps every program goes through (sign-in, the SMS code, connect,
//!   the account's settings, sign-out), with typed outcomes; the programs only present them.
//! - [`browser_sign_in`]: signing in with Google, Facebook or Apple through the system browser.
//! - [`suite`]: the suite session other Keyhaven apps of this computer sign in with.
//! - [`health`]: the password-health report with the vault released while zxcvbn runs, and the leak check against Have I Been Pwned (k-anonymity).
//! - [`sync`]: one sync (push with compare-and-swap, merge, pull); [`worker`] runs it in the
//!   background of an app.
//!
//! It moves opaque blobs; keys stay in `keyhaven-vault`.

pub mod account;
mod api;
pub mod browser_sign_in;
pub mod connect;
pub mod device;
mod error;
pub mod health;
mod keyring_item;
pub mod session;
pub mod suite;
pub mod sync;
pub mod worker;

pub use api::ApiClient;
pub use error::ClientError;

/// Environment variable naming the Keyhaven Account service (tests, self-hosting).
pub const SERVICE_URL_ENV: &str = "KEYHAVEN_SERVICE_URL";
/// The service `make run` starts on this computer, used when nothing else is configured.
pub const LOCAL_SERVICE_URL: &str = "http://127.0.0.1:8787";

/// The service to sign in to: `$KEYHAVEN_SERVICE_URL`, else [`LOCAL_SERVICE_URL`].
pub fn default_service_url() -> String {
    std::env::var(SERVICE_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| LOCAL_SERVICE_URL.to_owned())
}
