//! The client side of Keyhaven Account: a typed HTTP client for every `/v1` route, with the
//! service's problem documents turned into [`ClientError`] values the UI and the CLI explain.
//!
//! It is not the vault: it moves opaque blobs and never sees a key. Start with [`ApiClient`].
//! The desktop app and the `keyhaven` CLI are thin adapters over this crate.

mod api;
mod error;

pub use api::ApiClient;
pub use error::ClientError;
