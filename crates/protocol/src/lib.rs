//! The Keyhaven Account wire format: every request and response body of the `/v1` API, and the
//! stable error codes both sides agree on.
//!
//! This crate holds types only — no HTTP, no storage, no crypto. The service (`keyhaven-server`)
//! and the clients (the desktop app, the CLI) serialize exactly these types, so a renamed field
//! is a compile error on both sides. Start with [`error::ErrorCode`] and [`vault`].
//!
//! Binary fields (wrapped keys, salts, item blobs) travel as unpadded base64url strings through
//! [`bytes::Bytes`]; the service stores them as opaque bytes and never interprets them.

pub mod accounts;
pub mod bytes;
pub mod devices;
pub mod error;
pub mod limits;
pub mod secret;
pub mod sessions;
pub mod statement;
pub mod strict;
pub mod vault;

/// The API version prefix every route lives under.
pub const API_PREFIX: &str = "/v1";
