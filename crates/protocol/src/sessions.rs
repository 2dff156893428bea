//! Signing in, the SMS step, token refresh.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::SmsChallenge;
use crate::devices::DeviceInfo;
use crate::secret::Secret;

/// Signs in with email and account password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: Secret,
    pub device: DeviceInfo,
    /// Set when the person accepted a newer statement after `statement_acceptance_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_statement_version: Option<i64>,
}

/// What a sign-in led to: a session at once, or an SMS code to confirm first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignInOutcome {
    SignedIn(SessionGrant),
    SmsRequired(SmsChallenge),
}

/// Confirms an SMS challenge with the code the person received.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyCode {
    pub code: Secret,
}

/// What a confirmed challenge led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChallengeOutcome {
    /// Account creation or sign-in finished: the device is signed in.
    SignedIn(SessionGrant),
    /// A phone change finished.
    PhoneChanged,
    /// An account that had no account password has one now.
    PasswordAdded,
}

/// A device session: a short-lived access token and a rotating refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionGrant {
    pub account_id: Uuid,
    pub email: String,
    pub device_id: Uuid,
    pub tokens: TokenPair,
    /// True when another OS user of the same computer is connected to this account already:
    /// both would share one vault.
    pub other_os_user_connected: bool,
}

/// Bearer tokens: 256-bit random, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenPair {
    pub access_token: Secret,
    pub access_expires_in_seconds: u64,
    pub refresh_token: Secret,
    pub refresh_expires_in_seconds: u64,
}

/// Trades a refresh token for a new pair; the old refresh token stops working.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    pub refresh_token: Secret,
}

/// The providers this service signs people in with (Google, Facebook, Apple…), by the name the
/// app passes to `/oauth/authorize`: the app offers only these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SocialProviders {
    pub providers: Vec<String>,
}

/// Redeems the one-time code a social sign-in sent to the app's loopback listener (RFC 8252 with
/// PKCE): the same outcome as a password sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedeemSocialCode {
    pub client_id: String,
    pub code: Secret,
    pub code_verifier: Secret,
    /// The redirect URI the app's authorization request used, exactly.
    pub redirect_uri: String,
    pub device: DeviceInfo,
    /// Set after the person accepted a newer Web-Portal Statement (or, signing up, the current one).
    #[serde(default)]
    pub accepted_statement_version: Option<i64>,
    /// Signing up with a provider: the mobile number for security codes.
    #[serde(default)]
    pub phone: Option<String>,
    /// Linking the provider to an existing account with the same email: that account's password.
    #[serde(default)]
    pub password: Option<Secret>,
}

/// A suite token: lets the other Keyhaven apps of this computer sign in as this device's account
/// ([`SuiteSignIn`]) while this device stays signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuiteToken {
    pub suite_token: Secret,
    pub expires_in_seconds: u64,
}

/// Signs a device in with a suite token another app of the same computer published.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SuiteSignIn {
    pub suite_token: Secret,
    pub device: DeviceInfo,
    /// Set after the person accepted a newer Web-Portal Statement.
    #[serde(default)]
    pub accepted_statement_version: Option<i64>,
}

/// Asks whether a suite token can still sign this computer in (before offering it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SuiteCheck {
    pub suite_token: Secret,
    /// The asking computer's machine hash (as in [`DeviceInfo`]).
    pub machine_hash: String,
}
