//! The bounds of what the service accepts, in one place for the service's checks, its OpenAPI
//! document and clients that check before sending. Patterns are ECMA-262 / Python regular
//! expressions over code points, as JSON Schema uses them.

/// Longest email address, in characters as sent.
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest account password, in characters.
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// Shortest new account password the default configuration accepts, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest device name, in characters.
pub const DEVICE_NAME_MAX_CHARS: usize = 100;
/// Longest platform name, in characters.
pub const PLATFORM_MAX_CHARS: usize = 32;
/// Longest SMS code accepted (codes are six digits; spaces around them are forgiven).
pub const SMS_CODE_MAX_CHARS: usize = 32;
/// Longest bearer, refresh, suite or one-time code token, or PKCE verifier, accepted.
pub const TOKEN_MAX_CHARS: usize = 512;
/// Longest phone number as typed (E.164 with spaces and dashes).
pub const PHONE_MAX_CHARS: usize = 32;
/// Longest OAuth client id.
pub const CLIENT_ID_MAX_CHARS: usize = 64;
/// Longest redirect URI.
pub const REDIRECT_URI_MAX_CHARS: usize = 2048;

/// The characters no text from the network may hold, as inclusive code point ranges: the
/// controls (C0, DEL, C1) and the invisible format characters of the Basic Multilingual Plane
/// (Unicode category Cf: zero-width characters, bidi marks, embeddings, overrides and isolates,
/// BOM, soft hyphen…). The astral Cf characters (emoji tag sequences) are allowed, so that every
/// pattern here stays in `\uXXXX` escapes, which ECMA-262 and Python read alike.
pub const FORBIDDEN_RANGES: &[(u32, u32)] = &[
    (0x0000, 0x001F),
    (0x007F, 0x009F),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
];

/// The controls alone: what a password or token may not hold (emoji sequences need U+200D).
pub const CONTROL_RANGES: &[(u32, u32)] = &[(0x0000, 0x001F), (0x007F, 0x009F)];

/// Whether text from the network may never hold `c` ([`FORBIDDEN_RANGES`]).
pub fn is_forbidden_char(c: char) -> bool {
    in_ranges(FORBIDDEN_RANGES, c)
}

/// Whether `c` is a control character ([`CONTROL_RANGES`]).
pub fn is_control_char(c: char) -> bool {
    in_ranges(CONTROL_RANGES, c)
}

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let c = u32::from(c);
    ranges.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// The whitespace that is not a control, which an email may carry around it (and is trimmed).
pub const SPACE_CLASS: &str =
    "\\u0020\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

/// `ranges` as the inside of a regular-expression character class (`\u0000-\u001F…`).
pub fn class_of(ranges: &[(u32, u32)]) -> String {
    let one = |c: u32| format!("\\u{c:04X}");
    ranges
        .iter()
        .map(|&(low, high)| {
            if low == high {
                one(low)
            } else {
                format!("{}-{}", one(low), one(high))
            }
        })
        .collect()
}

/// Text with no forbidden character.
pub fn text_pattern() -> String {
    format!("^[^{}]*$", class_of(FORBIDDEN_RANGES))
}

/// Text with no forbidden character and at least one that is not whitespace.
pub fn name_pattern() -> String {
    let forbidden = class_of(FORBIDDEN_RANGES);
    format!("^[^{forbidden}]*[^{forbidden}{SPACE_CLASS}][^{forbidden}]*$")
}

/// A password or token: no control character.
pub fn secret_pattern() -> String {
    format!("^[^{}]*$", class_of(CONTROL_RANGES))
}

/// An email address: optional spaces, a local part, `@`, a domain with a dot that neither starts
/// nor ends it; no whitespace or forbidden character inside.
pub fn email_pattern() -> String {
    let not = format!("{}{SPACE_CLASS}@", class_of(FORBIDDEN_RANGES));
    format!("^[{SPACE_CLASS}]*[^{not}]+@[^{not}.][^{not}]*\\.[^{not}]*[^{not}.][{SPACE_CLASS}]*$")
}

/// A phone number in E.164 (`+`, 8 to 15 digits, the first not 0), with spaces and dashes.
pub const PHONE_PATTERN: &str = "^[ -]*\\+[ -]*[1-9](?:[ -]*[0-9]){7,14}[ -]*$";

/// A SHA-256 digest in hex.
pub const SHA256_HEX_PATTERN: &str = "^[0-9a-fA-F]{64}$";

/// Canonical unpadded base64url, as [`crate::bytes::Bytes`] reads it.
pub const BASE64URL_PATTERN: &str =
    "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$";

/// The length of the base64url text of `bytes` bytes.
pub const fn base64url_len(bytes: usize) -> usize {
    (bytes * 4).div_ceil(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forbidden_characters_are_the_controls_and_the_format_characters() {
        for c in [
            '\u{0}', '\u{1f}', '\u{7f}', '\u{85}', '\u{200b}', '\u{202e}', '\u{2066}', '\u{feff}',
            '\u{ad}',
        ] {
            assert!(is_forbidden_char(c), "{:X}", u32::from(c));
        }
        for c in ['a', ' ', 'é', '😀', '\u{a0}', '\u{e0041}'] {
            assert!(!is_forbidden_char(c), "{:X}", u32::from(c));
        }
        assert!(!is_control_char('\u{200d}'));
        assert!(is_control_char('\u{0}'));
    }

    #[test]
    fn classes_are_written_as_regex_escapes() {
        assert_eq!(
            class_of(&[(0, 0x1f), (0xad, 0xad)]),
            "\\u0000-\\u001F\\u00AD"
        );
        assert!(text_pattern().starts_with("^[^\\u0000-\\u001F\\u007F-\\u009F"));
    }

    #[test]
    fn base64url_lengths() {
        assert_eq!(base64url_len(1), 2);
        assert_eq!(base64url_len(8), 11);
        assert_eq!(base64url_len(1024), 1366);
    }
}
