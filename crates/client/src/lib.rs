//! The client side of Keyhaven Account, shared by the desktop app and the `keyhaven` CLI:
//!
//! - [`ApiClient`]: a typed HTTP client for every `/v1` route; problem documents become
//!   [`ClientError`] values the UI and the CLI explain.
//! - [`session`]: a device's session — the link file, the refresh token in the OS keyring, the
//!   access token in memory.
//! - [`connect`]: making the local vault the account's vault (first device) or a copy of it.
//! - [`sync`]: one sync (push with compare-and-swap, merge, pull); [`worker`] runs it in the
//!   background of an app.
//!
//! It moves opaque blobs; keys stay in `keyhaven-vault`.

mod api;
pub mod connect;
pub mod device;
mod error;
pub mod session;
pub mod sync;
pub mod worker;

pub use api::ApiClient;
pub use error::ClientError;
