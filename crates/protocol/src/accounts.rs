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
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SmsChallenge {
    pub challenge_id: String,
    /// The number the code went to, masked: `+…23`.
    pub phone_hint: String,
    /// Seconds until the code expires.
    pub expires_in_seconds: u64,
    /// Seconds until a new code may be requested.
    pub resend_after_seconds: u64,
    /// False when no code went out yet: this number got one a moment ago (another sign-in),
    /// so this challenge's code is sent on request once `resend_after_seconds` are over.
    #[serde(default = "code_was_sent")]
    pub sent: bool,
}

fn code_was_sent() -> bool {
    true
}

/// The signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

/// The separators people type inside a phone number that the wire form drops: spaces and dashes.
const PHONE_SEPARATORS: [char; 2] = [' ', '-'];

/// A phone number as the service takes it, E.164 (`+447700900123`), from what was typed with
/// spaces or dashes; `None` when it is not a number with its country code.
pub fn normalize_phone(input: &str) -> Option<String> {
    if input.chars().count() > crate::limits::PHONE_MAX_CHARS {
        return None;
    }
    let compact: String = input
        .chars()
        .filter(|c| !PHONE_SEPARATORS.contains(c))
        .collect();
    let digits = compact.strip_prefix('+')?;
    ((8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0'))
    .then_some(compact)
}

/// An SMS code as typed or pasted ("123 456", "123-456", " 123456\n"), as the service compares
/// it: without whitespace and dashes. Anything else stays, and does not match.
pub fn clean_sms_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_lose_their_separators_and_need_a_country_code() {
        assert_eq!(
            normalize_phone("+44 7700-900123").as_deref(),
            Some("+447700900123")
        );
        assert_eq!(normalize_phone("07700 900123"), None);
        assert_eq!(normalize_phone("+0 7700 900123"), None);
        assert_eq!(normalize_phone("+44 7700 9001x3"), None);
        assert_eq!(normalize_phone("+1234567"), None);
    }

    #[test]
    fn codes_lose_whitespace_and_dashes_only() {
        assert_eq!(clean_sms_code(" 123 456\n"), "123456");
        assert_eq!(clean_sms_code("123-456"), "123456");
        assert_eq!(clean_sms_code("12a456"), "12a456");
    }
}

/// Gives an account made with a provider (no account password) one; an SMS code to the
/// account's phone confirms it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddPassword {
    pub new_password: Secret,
}

/// The ways to sign in to the account: its password (if it has one) and its linked providers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SignInMethods {
    /// Whether the account has an account password (accounts made with a provider have none).
    pub password: bool,
    pub providers: Vec<LinkedProvider>,
}

/// One provider identity linked to the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LinkedProvider {
    /// Names this link for removal (`DELETE /v1/account/sign-in-methods/{method_id}`).
    pub id: String,
    /// The provider's name in the service's configuration ("google").
    pub provider: String,
    /// When it was linked, Unix milliseconds.
    pub linked_at: i64,
}

/// Links the provider identity of a browser sign-in's one-time code to the signed-in account
/// (the same binding as [`crate::sessions::RedeemSocialCode`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkProvider {
    pub client_id: String,
    pub code: Secret,
    pub code_verifier: Secret,
    /// The redirect URI the app's authorization request used, exactly.
    pub redirect_uri: String,
}
