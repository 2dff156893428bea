//! Errors on the wire: RFC 9457 problem details with a stable machine `code`.

use serde::{Deserialize, Serialize};

/// Every error the service answers with; clients map these to words, tests assert them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or a parameter is malformed.
    InvalidRequest,
    /// The email address is not a plausible address.
    InvalidEmail,
    /// The phone number is not in E.164 form (`+` and 8–15 digits).
    InvalidPhone,
    /// The account password is too short or too long.
    WeakPassword,
    /// An account with this email exists already.
    EmailTaken,
    /// The request did not accept the current Web-Portal Statement.
    StatementNotAccepted,
    /// The account must accept a newer Web-Portal Statement before signing in.
    StatementAcceptanceRequired,
    /// Unknown email or wrong password (deliberately the same answer).
    InvalidCredentials,
    /// The account's phone number has not been confirmed yet.
    AccountNotActive,
    /// No pending SMS challenge with this id (never existed, finished or replaced).
    ChallengeNotFound,
    /// The SMS code is wrong; `tries_left` says how many tries remain.
    SmsCodeInvalid,
    /// The SMS code is older than its validity.
    SmsCodeExpired,
    /// Too many wrong codes: this code no longer works; request a new one.
    SmsCodeBurned,
    /// A new code was asked for before the cooldown ended.
    SmsResendTooSoon,
    /// Too many codes were sent to this account or number within the hour.
    SmsHourlyLimit,
    /// The SMS carrier refused or failed to take the message.
    SmsDeliveryFailed,
    /// Too many sign-in attempts from this address or for this account.
    TooManySignInAttempts,
    /// No bearer token, or one that is unknown or expired.
    Unauthenticated,
    /// The refresh token is unknown, expired or revoked.
    InvalidRefreshToken,
    /// A refresh token that was already rotated came back: the device is revoked.
    RefreshTokenReused,
    /// No such resource for this account.
    NotFound,
    /// The account has a vault already.
    VaultExists,
    /// The account has no vault yet.
    VaultNotFound,
    /// The vault moved past the push's base revision (another device pushed first): nothing was
    /// applied; pull, merge, push again.
    VaultChanged,
    /// The vault keeps a sealed state, and this request carried none: it comes from a Keyhaven
    /// older than the vault's protocol, which must be updated.
    VaultStateRequired,
    /// The request body is larger than the service accepts.
    PayloadTooLarge,
    /// Too many requests of this kind; wait `retry_after_seconds`.
    RateLimited,
    /// The body is not `application/json` where JSON is expected.
    UnsupportedMediaType,
    /// The route exists, but not with this method (`Allow` lists the ones it has).
    MethodNotAllowed,
    /// The service is at capacity for this kind of work (password hashing, database
    /// connections); nothing was changed, retry after `retry_after_seconds`.
    ServiceBusy,
    /// A social sign-in code is unknown, used, expired, or does not match its client, redirect
    /// URI or PKCE verifier.
    InvalidGrant,
    /// The provider's verified email belongs to an account that has not linked this provider:
    /// redeem the same code again with that account's password to link it.
    LinkRequired,
    /// No Keyhaven Account is linked to this provider identity yet.
    NoLinkedAccount,
    /// A suite session (another Keyhaven app's sign-in on this computer) is unknown, expired,
    /// withdrawn, from another computer, or its device was signed out.
    SuiteSessionInvalid,
    /// A new person signed in with a provider: accept the statement (`statement_version`) and
    /// give a phone number, then redeem the same code again to create the account.
    SignUpRequired,
    /// The account's last sign-in method cannot be removed: nothing could sign in to it.
    LastSignInMethod,
    /// This provider identity already signs in to another Keyhaven Account.
    IdentityInUse,
    /// The account has an account password already (change it instead of adding one).
    PasswordExists,
    /// Something failed on the service's side; nothing was changed.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidPhone => "invalid_phone",
            Self::WeakPassword => "weak_password",
            Self::EmailTaken => "email_taken",
            Self::StatementNotAccepted => "statement_not_accepted",
            Self::StatementAcceptanceRequired => "statement_acceptance_required",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountNotActive => "account_not_active",
            Self::ChallengeNotFound => "challenge_not_found",
            Self::SmsCodeInvalid => "sms_code_invalid",
            Self::SmsCodeExpired => "sms_code_expired",
            Self::SmsCodeBurned => "sms_code_burned",
            Self::SmsResendTooSoon => "sms_resend_too_soon",
            Self::SmsHourlyLimit => "sms_hourly_limit",
            Self::SmsDeliveryFailed => "sms_delivery_failed",
            Self::TooManySignInAttempts => "too_many_sign_in_attempts",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::NotFound => "not_found",
            Self::VaultExists => "vault_exists",
            Self::VaultNotFound => "vault_not_found",
            Self::VaultChanged => "vault_changed",
            Self::VaultStateRequired => "vault_state_required",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited => "rate_limited",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::ServiceBusy => "service_busy",
            Self::InvalidGrant => "invalid_grant",
            Self::LinkRequired => "link_required",
            Self::NoLinkedAccount => "no_linked_account",
            Self::SuiteSessionInvalid => "suite_session_invalid",
            Self::SignUpRequired => "sign_up_required",
            Self::LastSignInMethod => "last_sign_in_method",
            Self::IdentityInUse => "identity_in_use",
            Self::PasswordExists => "password_exists",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RFC 9457 problem document (`application/problem+json`) with Keyhaven's extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the problem type (`urn:keyhaven:error:<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The stable machine code.
    pub code: ErrorCode,
    /// For limits: seconds until the request may be retried (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// For a wrong SMS code: how many tries remain before the code is burned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
    /// For `statement_acceptance_required`: the version to accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_version: Option<i64>,
}

/// The media type of [`Problem`] responses.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_wire_names() {
        for code in [
            ErrorCode::SmsCodeBurned,
            ErrorCode::StatementAcceptanceRequired,
            ErrorCode::RefreshTokenReused,
            ErrorCode::TooManySignInAttempts,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
