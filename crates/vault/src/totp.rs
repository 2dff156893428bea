//! One-time codes (TOTP, RFC 6238) from a login's stored secret: an `otpauth://totp/…` URI (Key
//! Uri Format), a bare base32 secret, or a Steam Guard secret (`steam://…`, or an otpauth URI with
//! `encoder=steam`, as KeePassXC writes). Parsing forgives spaces, dashes, padding and lower
//! case; what cannot make codes is refused with words saying why. Codes are computed here, so the
//! secret never needs to reach a view. A QR code image can be read into the text to store
//! ([`secret_from_qr_image`]).

use totp_rs::{Algorithm, Builder};
use url::Url;
use zeroize::Zeroizing;

/// The digits a standard code may have (RFC 4226 §5.3).
pub const DIGITS: std::ops::RangeInclusive<u8> = 6..=8;

/// The longest time step accepted, in seconds.
const MAX_PERIOD: u64 = 3600;

/// The shortest secret accepted, in bytes: anything shorter gives codes an attacker can guess.
const MIN_SECRET_BYTES: usize = 10;

/// The longest secret text accepted (a URI with a long label included).
const MAX_SECRET_TEXT: usize = 4096;

/// The largest QR code image read, in bytes and in pixels.
const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Why a stored secret cannot make codes, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the secret is empty")]
    Empty,
    #[error("the secret is too long")]
    TooLong,
    #[error("the secret is not base32 (only the letters A–Z and the digits 2–7)")]
    NotBase32,
    #[error("the secret is too short to be safe ({0} bytes; at least 10 are needed)")]
    TooShort(usize),
    #[error("\"{0}\" is not a one-time code address (it should start with otpauth://totp/)")]
    NotTotpUri(String),
    #[error("counter-based codes (HOTP) are not supported, only time-based ones (TOTP)")]
    Hotp,
    #[error("the address has no secret= part")]
    NoSecretInUri,
    #[error("the algorithm \"{0}\" is unknown (SHA1, SHA256 or SHA512)")]
    UnknownAlgorithm(String),
    #[error("a code has 6 to 8 digits, not \"{0}\"")]
    Digits(String),
    #[error("the period must be between 1 and 3600 seconds, not \"{0}\"")]
    Period(String),
    #[error("the image could not be read: {0}")]
    UnreadableImage(String),
    #[error("no QR code was found in the image")]
    NoQrCode,
    #[error("the QR code does not hold a one-time code secret: {0}")]
    QrNotASecret(String),
}

impl TotpError {
    /// A stable snake_case code for UIs, scripts and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnreadableImage(_) => "qr_image_unreadable",
            Self::NoQrCode => "qr_code_not_found",
            Self::QrNotASecret(_) => "qr_code_not_a_secret",
            _ => "invalid_totp_secret",
        }
    }
}

/// How codes are made from a secret, as its text says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpKind {
    Sha1,
    Sha256,
    Sha512,
    /// Steam Guard: HMAC-SHA1, 5 characters from Steam's alphabet.
    Steam,
}

/// A parsed secret: everything needed to make codes, and the label a person recognises.
pub struct TotpSecret {
    pub kind: TotpKind,
    pub digits: u8,
    pub period: u64,
    pub issuer: Option<String>,
    pub account: Option<String>,
    key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpSecret")
            .field("kind", &self.kind)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The code of one moment, with how long it stays valid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TotpCode {
    pub code: String,
    /// The time step, in seconds.
    pub period: u32,
    /// Seconds until the next code, 1 to `period`.
    pub seconds_left: u32,
}

impl TotpSecret {
    /// Parses a stored secret: an `otpauth://totp/` or `steam://` URI, or bare base32.
    pub fn parse(text: &str) -> Result<Self, TotpError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TotpError::Empty);
        }
        if text.len() > MAX_SECRET_TEXT {
            return Err(TotpError::TooLong);
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("otpauth://") || lower.starts_with("otpauth-migration:") {
            Self::from_uri(text)
        } else if let Some(rest) = lower.strip_prefix("steam://") {
            let key = decode_base32(&text[text.len() - rest.len()..])?;
            Ok(Self::steam(key, None, None))
        } else if text.contains("://") {
            Err(TotpError::NotTotpUri(scheme_of(text)))
        } else {
            Ok(Self {
                kind: TotpKind::Sha1,
                digits: 6,
                period: 30,
                issuer: None,
                account: None,
                key: decode_base32(text)?,
            })
        }
    }

    fn steam(key: Zeroizing<Vec<u8>>, issuer: Option<String>, account: Option<String>) -> Self {
        Self {
            kind: TotpKind::Steam,
            digits: 5,
            period: 30,
            issuer: issuer.or_else(|| Some("Steam".into())),
            account,
            key,
        }
    }

    fn from_uri(text: &str) -> Result<Self, TotpError> {
        let url = Url::parse(text).map_err(|_| TotpError::NotTotpUri(scheme_of(text)))?;
        let kind_of_uri = url.host_str().unwrap_or_default().to_ascii_lowercase();
        match kind_of_uri.as_str() {
            "totp" | "steam" => {}
            "hotp" => return Err(TotpError::Hotp),
            _ => return Err(TotpError::NotTotpUri(format!("otpauth://{kind_of_uri}"))),
        }
        let (label_issuer, account) = label_parts(&url);
        let mut secret = None;
        let mut issuer = None;
        let mut algorithm = None;
        let mut digits = None;
        let mut period = None;
        let mut steam = kind_of_uri == "steam";
        for (name, value) in url.query_pairs() {
            match name.to_ascii_lowercase().as_str() {
                "secret" => secret = Some(Zeroizing::new(value.into_owned())),
                "issuer" if !value.trim().is_empty() => issuer = Some(value.trim().to_string()),
                "algorithm" => algorithm = Some(value.trim().to_string()),
                "digits" => digits = Some(value.trim().to_string()),
                "period" => period = Some(value.trim().to_string()),
                "encoder" => steam |= value.trim().eq_ignore_ascii_case("steam"),
                _ => {}
            }
        }
        let key = decode_base32(secret.as_deref().ok_or(TotpError::NoSecretInUri)?)?;
        let issuer = issuer.or(label_issuer);
        if steam {
            return Ok(Self::steam(key, issuer, account));
        }
        let kind = match algorithm.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("SHA1" | "SHA-1") => TotpKind::Sha1,
            Some("SHA256" | "SHA-256") => TotpKind::Sha256,
            Some("SHA512" | "SHA-512") => TotpKind::Sha512,
            Some(_) => return Err(TotpError::UnknownAlgorithm(algorithm.unwrap_or_default())),
        };
        let digits = match digits {
            None => 6,
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|d| DIGITS.contains(d))
                .ok_or(TotpError::Digits(text))?,
        };
        let period = match period {
            None => 30,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|p| (1..=MAX_PERIOD).contains(p))
                .ok_or(TotpError::Period(text))?,
        };
        Ok(Self {
            kind,
            digits,
            period,
            issuer,
            account,
            key,
        })
    }

    /// The code at `unix_seconds`, with the seconds it has left.
    pub fn code_at(&self, unix_seconds: u64) -> TotpCode {
        let builder = match self.kind {
            TotpKind::Steam => Builder::new_steam(),
            TotpKind::Sha1 => Builder::new().with_algorithm(Algorithm::SHA1),
            TotpKind::Sha256 => Builder::new().with_algorithm(Algorithm::SHA256),
            TotpKind::Sha512 => Builder::new().with_algorithm(Algorithm::SHA512),
        };
        // The digits, period and key length were checked when parsing; the crate's own check
        // asks for 128-bit secrets, which many real services do not use.
        let totp = builder
            .with_digits(self.digits)
            .with_step_duration(self.period)
            .with_secret(self.key.to_vec())
            .build_noncompliant();
        let code = totp.generate(unix_seconds).to_string();
        let left = self.period - unix_seconds % self.period;
        TotpCode {
            code,
            period: u32::try_from(self.period).unwrap_or(u32::MAX),
            seconds_left: u32::try_from(left).unwrap_or(u32::MAX),
        }
    }

    /// The code now, by the system clock.
    pub fn code_now(&self) -> TotpCode {
        self.code_at(unix_now())
    }
}

/// Seconds since the Unix epoch by the system clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks a secret before it is saved: `Ok` when it makes codes (or is blank: no codes).
pub fn validate(text: &str) -> Result<(), TotpError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    TotpSecret::parse(text).map(drop)
}

/// Base32 (RFC 4648) as people paste it: any case, spaces, dashes and `=` padding ignored, and
/// the unused bits of the last character not checked (as authenticator apps do).
fn decode_base32(text: &str) -> Result<Zeroizing<Vec<u8>>, TotpError> {
    let mut clean = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars() {
        match c {
            ' ' | '\t' | '\n' | '\r' | '-' | '=' => {}
            c if c.is_ascii_alphanumeric() => clean.push(c.to_ascii_uppercase()),
            _ => return Err(TotpError::NotBase32),
        }
    }
    if clean.is_empty() {
        return Err(TotpError::Empty);
    }
    let mut bits: u32 = 0;
    let mut held = 0u32;
    let mut key = Zeroizing::new(Vec::with_capacity(clean.len() * 5 / 8 + 1));
    for c in clean.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(TotpError::NotBase32),
        };
        bits = (bits << 5) | u32::from(value);
        held += 5;
        if held >= 8 {
            held -= 8;
            key.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    if key.len() < MIN_SECRET_BYTES {
        return Err(TotpError::TooShort(key.len()));
    }
    Ok(key)
}

/// The issuer and account of an otpauth label (`Issuer:account`, percent-decoded).
fn label_parts(url: &Url) -> (Option<String>, Option<String>) {
    let path = url.path().trim_start_matches('/');
    let label = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let non_empty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    match label.split_once(':') {
        Some((issuer, account)) => (non_empty(issuer), non_empty(account)),
        None => (None, non_empty(&label)),
    }
}

fn scheme_of(text: &str) -> String {
    text.split("://")
        .next()
        .unwrap_or_default()
        .chars()
        .take(20)
        .collect::<String>()
        + "://"
}

/// Reads the QR code in an image file (PNG, JPEG, GIF, WebP or BMP) and returns its text when it
/// is a secret that makes codes; nothing else in the image is kept.
pub fn secret_from_qr_image(bytes: &[u8]) -> Result<Zeroizing<String>, TotpError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(TotpError::UnreadableImage(
            "the file is larger than 20 MB".into(),
        ));
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| TotpError::UnreadableImage(e.to_string()))?;
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| TotpError::UnreadableImage(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(TotpError::UnreadableImage("the image is too large".into()));
    }
    let picture = image::load_from_memory(bytes)
        .map_err(|e| TotpError::UnreadableImage(e.to_string()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    for grid in prepared.detect_grids() {
        let Ok((_, text)) = grid.decode() else {
            continue;
        };
        let text = Zeroizing::new(text);
        return match TotpSecret::parse(&text) {
            Ok(_) => Ok(Zeroizing::new(text.trim().to_string())),
            Err(reason) => Err(TotpError::QrNotASecret(reason.to_string())),
        };
    }
    Err(TotpError::NoQrCode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base32(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::new();
        let (mut bits, mut held) = (0u32, 0u32);
        for &b in bytes {
            bits = (bits << 8) | u32::from(b);
            held += 8;
            while held >= 5 {
                held -= 5;
                out.push(ALPHABET[((bits >> held) & 31) as usize] as char);
            }
            bits &= (1 << held) - 1;
        }
        if held > 0 {
            out.push(ALPHABET[((bits << (5 - held)) & 31) as usize] as char);
        }
        out
    }

    /// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to 20, 32 and 64 bytes.
    #[test]
    fn rfc_6238_appendix_b_vectors_for_all_three_algorithms() {
        let seed = |len: usize| base32(&b"1234567890".repeat(7)[..len]);
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in cases {
            for (algorithm, len, expected) in [
                ("SHA1", 20, sha1),
                ("SHA256", 32, sha256),
                ("SHA512", 64, sha512),
            ] {
                let uri = format!(
                    "otpauth://totp/RFC:test?secret={}&algorithm={algorithm}&digits=8&period=30",
                    seed(len)
                );
                let code = TotpSecret::parse(&uri).unwrap().code_at(time);
                assert_eq!(code.code, expected, "{algorithm} at {time}");
            }
        }
    }

    #[test]
    fn a_bare_secret_forgives_spaces_dashes_padding_and_lower_case() {
        let reference = TotpSecret::parse("JBSWY3DPEHPK3PXP")
            .unwrap()
            .code_at(1_700_000_000);
        for text in [
            "jbswy3dpehpk3pxp",
            " JBSW Y3DP EHPK 3PXP ",
            "jbsw-y3dp-ehpk-3pxp",
            "JBSWY3DPEHPK3PXP====",
        ] {
            assert_eq!(
                TotpSecret::parse(text).unwrap().code_at(1_700_000_000),
                reference
            );
        }
        assert_eq!(reference.code.len(), 6);
        assert_eq!(reference.period, 30);
    }

    #[test]
    fn the_uri_gives_issuer_account_digits_and_period() {
        let secret = TotpSecret::parse(
            "otpauth://totp/ACME%20Co:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&digits=8&period=60&algorithm=sha256",
        )
        .unwrap();
        assert_eq!(secret.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(secret.account.as_deref(), Some("ada@example.com"));
        assert_eq!(
            (secret.kind, secret.digits, secret.period),
            (TotpKind::Sha256, 8, 60)
        );
        let code = secret.code_at(119);
        assert_eq!(
            (code.code.len(), code.seconds_left, code.period),
            (8, 1, 60)
        );
        assert_eq!(secret.code_at(120).seconds_left, 60);
    }

    #[test]
    fn uri_edge_cases() {
        let parse = |s: &str| TotpSecret::parse(s);
        // Parameters in any case and order, a label without issuer, the issuer from the label.
        let s = parse("OTPAUTH://TOTP/ada?PERIOD=30&Secret=jbswy3dpehpk3pxp").unwrap();
        assert_eq!((s.issuer, s.account.as_deref()), (None, Some("ada")));
        let s = parse("otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(s.issuer.as_deref(), Some("GitHub"));
        // An empty label, as KeePassXC's legacy settings produce.
        assert!(parse("otpauth://totp/?secret=JBSWY3DPEHPK3PXP&period=30&digits=6").is_ok());
        // Spaces inside the secret, percent-encoded.
        assert!(parse("otpauth://totp/x?secret=JBSW%20Y3DP%20EHPK%203PXP").is_ok());
        assert_eq!(
            parse("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1").unwrap_err(),
            TotpError::Hotp
        );
        assert_eq!(
            parse("otpauth://totp/x?issuer=y").unwrap_err(),
            TotpError::NoSecretInUri
        );
        assert_eq!(
            parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5").unwrap_err(),
            TotpError::UnknownAlgorithm("MD5".into())
        );
        for digits in ["0", "5", "9", "ten", "-6"] {
            assert_eq!(
                parse(&format!(
                    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits={digits}"
                ))
                .unwrap_err(),
                TotpError::Digits(digits.into())
            );
        }
        for period in ["0", "3601", "-30", "x"] {
            assert_eq!(
                parse(&format!(
                    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period={period}"
                ))
                .unwrap_err(),
                TotpError::Period(period.into())
            );
        }
        assert_eq!(
            parse("https://example.com/?secret=JBSWY3DPEHPK3PXP").unwrap_err(),
            TotpError::NotTotpUri("https://".into())
        );
        assert_eq!(parse("JBSWY3DPEHPK3PX1").unwrap_err(), TotpError::NotBase32);
        assert_eq!(parse("hunter2!").unwrap_err(), TotpError::NotBase32);
        assert_eq!(parse("JBSWY3DP").unwrap_err(), TotpError::TooShort(5));
        assert_eq!(parse("  ").unwrap_err(), TotpError::Empty);
        assert!(validate("").is_ok());
    }

    /// Steam Guard: HMAC-SHA1 truncated as RFC 4226 does, then five characters of Steam's alphabet
    /// (the expected code was computed apart, with Python's hmac).
    #[test]
    fn steam_secrets_make_five_character_steam_codes() {
        let key = base32(b"12345678901234567890");
        let by_encoder = TotpSecret::parse(&format!(
            "otpauth://totp/Steam:ada?secret={key}&period=30&digits=5&issuer=Steam&encoder=steam"
        ))
        .unwrap();
        let by_scheme = TotpSecret::parse(&format!("steam://{key}")).unwrap();
        assert_eq!(by_encoder.kind, TotpKind::Steam);
        let code = by_encoder.code_at(1_700_000_000);
        assert_eq!(code, by_scheme.code_at(1_700_000_000));
        assert_eq!(code.code, "R87JJ");
    }
}
