//! Request extractors that answer in problem+json: JSON bodies, query strings, path values, the
//! bearer token, the client address.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use keyhaven_protocol::error::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::secrets::token_hash;
use crate::state::AppState;
use crate::store;

/// A JSON body: `application/json` (or `+json`), within the body limit, with no control or
/// invisible character escaped into a string, deserialized into `T`. Every refusal is a
/// problem document.
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Send the request body as application/json.",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large.")
                } else {
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        "The request body could not be read.",
                    )
                }
            })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses a request body, refusing control characters in its strings before serde sees them.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(found) = forbidden_in_json(bytes) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("The request contains a control character (U+{found:04X}) in a text field."),
        ));
    }
    let bytes = integral_numbers_as_integers(bytes);
    serde_json::from_slice(&bytes).map_err(|error| {
        let what = match error.classify() {
            serde_json::error::Category::Data => "does not match the operation's schema",
            _ => "is not valid JSON",
        };
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "The request body {what} (line {}, column {}).",
                error.line(),
                error.column()
            ),
        )
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The first control character (C0, DEL, C1) a JSON text carries inside a string, raw or
/// escaped. JSON's own whitespace between tokens is not inside a string and is allowed.
pub fn forbidden_in_json(bytes: &[u8]) -> Option<u32> {
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !in_string {
            if b == b'"' {
                in_string = true;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = false,
            b'\\' => {
                let escaped = *bytes.get(i + 1)?;
                match escaped {
                    b'b' => return Some(0x08),
                    b'f' => return Some(0x0c),
                    b'n' => return Some(0x0a),
                    b'r' => return Some(0x0d),
                    b't' => return Some(0x09),
                    b'u' => {
                        let hex = std::str::from_utf8(bytes.get(i + 2..i + 6)?).ok()?;
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        if code < 0x20 || (0x7f..=0x9f).contains(&code) {
                            return Some(code);
                        }
                        i += 6;
                        continue;
                    }
                    _ => {}
                }
                i += 2;
                continue;
            }
            0x00..=0x1f | 0x7f => return Some(u32::from(b)),
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => {
                return Some(u32::from(bytes[i + 1]))
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// JSON Schema counts `2.0` and `2e0` as the integer 2 (and OpenAPI 3.1 clients may write them
/// so); serde reads only `2` into an integer. The protocol has no fractional numbers, so a
/// number outside strings whose value is integral is rewritten as its integer digits; any other
/// number is left for serde to refuse.
pub fn integral_numbers_as_integers(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut in_string = false;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                i += 1;
            }
            let token = &bytes[start..i];
            if token.iter().any(|c| matches!(c, b'.' | b'e' | b'E')) {
                if let Some(integer) = integral(token) {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                    out.extend_from_slice(&bytes[copied..start]);
                    out.extend_from_slice(integer.as_bytes());
                    copied = i;
                }
            }
            continue;
        }
        i += 1;
    }
    match out {
        Some(mut out) => {
            out.extend_from_slice(&bytes[copied..]);
            std::borrow::Cow::Owned(out)
        }
        None => std::borrow::Cow::Borrowed(bytes),
    }
}

/// The integer digits of a JSON number with a fraction or exponent, when its value is an
/// integer of at most 20 digits.
fn integral(token: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(token).ok()?;
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits = format!("{whole}{fraction}");
    let shift = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    if shift >= 0 {
        if shift > 20 {
            return None;
        }
        digits.extend(std::iter::repeat_n('0', shift as usize));
    } else {
        let cut = digits.len().checked_sub(shift.unsigned_abs() as usize)?;
        if !digits[cut..].bytes().all(|b| b == b'0') {
            return None;
        }
        digits.truncate(cut);
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if digits.len() > 20 {
        return None;
    }
    Some(if negative && digits != "0" {
        format!("-{digits}")
    } else {
        digits.to_owned()
    })
}

/// `axum::extract::Query` whose rejections are problem documents.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|_: QueryRejection| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    "A query parameter is missing or has the wrong type.",
                )
            })
    }
}

/// `axum::extract::Path` whose rejections are problem documents.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_: PathRejection| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    "A value in the path is not valid.",
                )
            })
    }
}

/// The signed-in device making the request (a valid `Authorization: Bearer` access token).
#[derive(Debug, Clone)]
pub struct Authed {
    pub account_id: String,
    pub device_id: String,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = || {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "Sign in again: the access token is missing, unknown or expired.",
            )
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .filter(|token| token.len() <= keyhaven_protocol::limits::TOKEN_MAX_CHARS)
            .ok_or_else(unauthenticated)?;
        let owner = store::tokens::access_owner(&state.db, &token_hash(token.trim()), state.now())
            .await?
            .ok_or_else(unauthenticated)?;
        Ok(Self {
            account_id: owner.account_id,
            device_id: owner.device_id,
        })
    }
}

/// The token of an `Authorization` value whose scheme is `Bearer`, in any case (RFC 9110 §11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The client's address: the socket peer, or `X-Forwarded-For`'s first entry when configured.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .and_then(|first| first.trim().parse().ok());
            if let Some(ip) = forwarded {
                return Ok(Self(ip));
            }
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| Self(addr.ip()))
            .ok_or_else(|| ApiError::internal("the server runs without connection info"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_json_strings_are_found_raw_or_escaped() {
        for (body, found) in [
            (&br#"{"email":"a\u0000b"}"#[..], 0x00),
            (br#"{"name":"a\nb"}"#, 0x0a),
            (br#"{"name":"a\u001Fb"}"#, 0x1f),
            (br#"{"name":"a\u0085b"}"#, 0x85),
            ("{\"name\":\"a\u{85}b\"}".as_bytes(), 0x85),
            (b"{\"name\":\"a\x7fb\"}", 0x7f),
        ] {
            assert_eq!(
                forbidden_in_json(body),
                Some(found),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        for body in [
            &br#"{"email": "a@b.c",
  "n": "\\u0000 is text", "q": "\"", "e": "\u00e9"}"#[..],
            "{\"name\":\"Jos\u{e9} \u{1F600}\"}".as_bytes(),
        ] {
            assert_eq!(
                forbidden_in_json(body),
                None,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn integral_numbers_become_integers_and_others_stay() {
        let rewrite = |text: &str| {
            String::from_utf8(integral_numbers_as_integers(text.as_bytes()).into_owned()).unwrap()
        };
        assert_eq!(
            rewrite(r#"{"a": 43.0, "b": -2e2, "c": 1.5e1, "d": 0.0}"#),
            r#"{"a": 43, "b": -200, "c": 15, "d": 0}"#
        );
        assert_eq!(
            rewrite(r#"{"a": 1.5, "b": 1e-1, "s": "4.0", "t": "\"2.0"}"#),
            r#"{"a": 1.5, "b": 1e-1, "s": "4.0", "t": "\"2.0"}"#
        );
        assert_eq!(
            rewrite(r#"[576460752303423488.0, 12, 1e400]"#),
            r#"[576460752303423488, 12, 1e400]"#
        );
        assert!(matches!(
            integral_numbers_as_integers(b"{\"a\": 1}"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
