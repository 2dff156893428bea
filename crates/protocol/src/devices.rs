//! Devices: each signed-in app instance of an account.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a client says about itself when it signs in. Identifiers are hashed by the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    /// A name the person recognises ("Ada's laptop").
    pub name: String,
    /// `linux`, `macos`, `windows`, `cli`…
    pub platform: String,
    /// Hex SHA-256 of the machine id: the same for every OS user of one computer.
    pub machine_hash: String,
    /// Hex SHA-256 of machine id + OS user name: one per OS user of one computer.
    pub machine_user_hash: String,
}

/// A device as listed to its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub platform: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last sign-in or token refresh.
    pub last_seen_at: i64,
    /// True for the device making the request.
    pub current: bool,
}

/// The account's signed-in devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeviceList {
    pub devices: Vec<Device>,
}
