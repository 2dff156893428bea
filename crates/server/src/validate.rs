//! Checks of what people type: email addresses, phone numbers, account passwords.

use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::error::ErrorCode;

use crate::config::PasswordConfig;
use crate::error::{ApiError, ApiResult};

const MAX_PASSWORD_CHARS: usize = 1024;

/// Trims and lowercases an email address, refusing what cannot be one.
pub fn email(input: &str) -> ApiResult<String> {
    let email = input.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if plausible {
        Ok(email)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidEmail,
            "Enter an email address like name@example.com.",
        ))
    }
}

/// Accepts E.164 phone numbers: `+` and 8 to 15 digits, spaces and dashes dropped.
pub fn phone(input: &str) -> ApiResult<String> {
    let compact: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    if (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(compact)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidPhone,
            "Enter the phone number with its country code, like +44 7700 900123.",
        ))
    }
}

/// Refuses account passwords that are too short (or absurdly long).
pub fn password(input: &str, config: &PasswordConfig) -> ApiResult<()> {
    let length = input.chars().count();
    if length < config.min_length {
        return Err(ApiError::new(
            ErrorCode::WeakPassword,
            format!(
                "Use at least {} characters for the account password.",
                config.min_length
            ),
        ));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(ApiError::new(
            ErrorCode::WeakPassword,
            "The account password is longer than 1024 characters.",
        ));
    }
    Ok(())
}

/// Refuses device descriptions that are empty, oversized or not hashed.
pub fn device(info: &DeviceInfo) -> ApiResult<()> {
    let is_hash = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
    let name_ok = (1..=100).contains(&info.name.trim().chars().count());
    let platform_ok = (1..=32).contains(&info.platform.len());
    if name_ok && platform_ok && is_hash(&info.machine_hash) && is_hash(&info.machine_user_hash) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "The device needs a name (up to 100 characters), a platform and two SHA-256 hex hashes.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "ada@example",
            "a@b@c.d",
        ] {
            assert_eq!(
                email(bad).unwrap_err().code,
                ErrorCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert_eq!(phone("+44 7700-900123").unwrap(), "+447700900123");
        for bad in [
            "07700900123",
            "+44",
            "+0123456789",
            "+4477009001234567",
            "+44770090012a",
        ] {
            assert_eq!(
                phone(bad).unwrap_err().code,
                ErrorCode::InvalidPhone,
                "{bad}"
            );
        }
    }

    #[test]
    fn short_passwords_are_weak() {
        let config = PasswordConfig::default();
        assert_eq!(
            password("short", &config).unwrap_err().code,
            ErrorCode::WeakPassword
        );
        assert!(password("long enough password", &config).is_ok());
    }
}
