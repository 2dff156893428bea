//! Checks of what arrives from the network, the same on both engines: email addresses, phone
//! numbers, account passwords, device descriptions, identifiers. Each refusal is a 400 with a
//! stable code, never a database error.

use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::limits::{self, is_control_char, is_forbidden_char};
use unicode_normalization::UnicodeNormalization;

use crate::config::PasswordConfig;
use crate::error::{ApiError, ApiResult};

/// Whitespace that is not a control ([`limits::SPACE_CLASS`]): what may surround an email.
fn is_space(c: char) -> bool {
    c.is_whitespace() && !is_control_char(c)
}

/// NFC-normalizes and lowercases an email address without the spaces around it, refusing what
/// cannot be one ([`limits::email_pattern`]): over 254 characters, whitespace, control or
/// invisible characters inside, no local part or no dotted domain.
pub fn email(input: &str) -> ApiResult<String> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidEmail,
            "Enter an email address like name@example.com.",
        )
    };
    if input.chars().count() > limits::EMAIL_MAX_CHARS {
        return Err(invalid());
    }
    let email: String = input
        .trim_matches(is_space)
        .nfc()
        .collect::<String>()
        .to_lowercase();
    let plausible = !email
        .chars()
        .any(|c| c.is_whitespace() || is_forbidden_char(c))
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if plausible {
        Ok(email)
    } else {
        Err(invalid())
    }
}

/// Accepts E.164 phone numbers: `+` and 8 to 15 digits, spaces and dashes dropped.
pub fn phone(input: &str) -> ApiResult<String> {
    keyhaven_protocol::accounts::normalize_phone(input).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidPhone,
            "Enter the phone number with its country code, like +44 7700 900123.",
        )
    })
}

/// Refuses a password or token that no client sends: longer than `max` characters, or with a
/// control character.
pub fn secret_input(input: &str, max: usize, what: &str) -> ApiResult<()> {
    if input.chars().count() > max || input.chars().any(is_control_char) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("The {what} is longer than {max} characters or holds a control character."),
        ));
    }
    Ok(())
}

/// Refuses new account passwords that are too short (or absurdly long, or hold controls).
pub fn password(input: &str, config: &PasswordConfig) -> ApiResult<()> {
    if input.chars().any(is_control_char) {
        return Err(ApiError::new(
            ErrorCode::WeakPassword,
            "The account password cannot contain control characters.",
        ));
    }
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
    if length > limits::PASSWORD_MAX_CHARS {
        return Err(ApiError::new(
            ErrorCode::WeakPassword,
            "The account password is longer than 1024 characters.",
        ));
    }
    Ok(())
}

/// Refuses device descriptions that are empty, oversized, hold control or invisible
/// characters, or are not hashed.
pub fn device(info: &DeviceInfo) -> ApiResult<()> {
    let name_ok =
        text_ok(&info.name, 1, limits::DEVICE_NAME_MAX_CHARS) && !info.name.chars().all(is_space);
    let platform_ok = text_ok(&info.platform, 1, limits::PLATFORM_MAX_CHARS);
    if name_ok
        && platform_ok
        && is_sha256_hex(&info.machine_hash)
        && is_sha256_hex(&info.machine_user_hash)
    {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "The device needs a name (1 to 100 characters, no control characters), a platform (1 to 32) and two SHA-256 hex hashes.",
        ))
    }
}

/// Whether `value` is 64 hex digits (a SHA-256 digest).
pub fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `value` has `min..=max` characters and none of them is forbidden.
pub fn text_ok(value: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&value.chars().count()) && !value.chars().any(is_forbidden_char)
}

/// Whether `value` is an identifier this service made: base64url of 16 or 32 random bytes.
pub fn is_service_id(value: &str) -> bool {
    matches!(value.len(), 22 | 43)
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
            "ada\u{200b}@example.com",
            "ada@exam\u{202e}ple.com",
            "ada\u{0}@example.com",
            "\u{feff}ada@example.com",
        ] {
            assert_eq!(
                email(bad).unwrap_err().code,
                ErrorCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn emails_are_nfc_and_bounded() {
        assert_eq!(
            email("Jose\u{301}@example.com").unwrap(),
            "jos\u{e9}@example.com"
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(email(&long).unwrap_err().code, ErrorCode::InvalidEmail);
        assert_eq!(
            email(&"a".repeat(10_000)).unwrap_err().code,
            ErrorCode::InvalidEmail
        );
    }

    #[test]
    fn device_texts_refuse_controls_and_length() {
        let good = DeviceInfo {
            name: "Ada's laptop".into(),
            platform: "linux".into(),
            machine_hash: "a".repeat(64),
            machine_user_hash: "b".repeat(64),
        };
        assert!(device(&good).is_ok());
        for bad in [
            DeviceInfo {
                name: "a\u{0}b".into(),
                ..good.clone()
            },
            DeviceInfo {
                name: "x".repeat(101),
                ..good.clone()
            },
            DeviceInfo {
                platform: "li\u{0}nux".into(),
                ..good.clone()
            },
            DeviceInfo {
                name: "\u{202e}pot".into(),
                ..good.clone()
            },
        ] {
            assert_eq!(device(&bad).unwrap_err().code, ErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn service_ids_are_base64url_of_random_bytes() {
        assert!(is_service_id(&crate::secrets::new_id()));
        assert!(is_service_id(&crate::secrets::new_token()));
        assert!(!is_service_id("\u{0}"));
        assert!(!is_service_id("abc"));
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
