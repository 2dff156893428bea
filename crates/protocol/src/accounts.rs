//! Creating and managing an account.

use serde::{Deserialize, Serialize};

use crate::devices::DeviceInfo;
use crate::secret::Secret;

/// Creates an account; the answer is an [`SmsChallenge`] to the given phone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub email: String,
    /// The account password (not the master password: that never leaves the device).
    pub password: Secret,
    /// E.164, e.g. `+447700900123`.
    pub phone: String,
    /// The statement version the person accepted; must be the current one.
    pub accepted_statement_version: i64,
    /// The device that becomes signed in once the phone is confirmed.
    pub device: DeviceInfo,
    /// To correct the number of a sign-up still waiting for its code: that sign-up's challenge
    /// id, which only the screen that started it knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_challenge_id: Option<String>,
}

/// An SMS code was sent; confirm it at `/v1/challenges/{challenge_id}/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsChallenge {
    pub challenge_id: String,
    /// The number the code went to, masked: `+…23`.
    pub phone_hint: String,
    /// Seconds until the code expires.
    pub expires_in_seconds: u64,
    /// Seconds until a new code may be requested.
    pub resend_after_seconds: u64,
}

/// The signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInfo {
    pub email: String,
    pub phone_hint: String,
    pub two_step_enabled: bool,
    pub accepted_statement_version: i64,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Replaces the account password; every other device is signed out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: Secret,
    pub new_password: Secret,
}

/// Starts a phone change: the code goes to the new number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePhone {
    pub password: Secret,
    pub phone: String,
}

/// Turns 2-step verification on or off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetTwoStep {
    pub password: Secret,
    pub enabled: bool,
}

/// Deletes the account and its vault for good.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteAccount {
    pub password: Secret,
}
