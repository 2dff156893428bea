//! The dates export files write, as Unix milliseconds.

/// An RFC 3339 date (`2024-05-01T12:34:56.789Z`) as Unix milliseconds; `None` when it is not one.
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|date| date.timestamp_millis())
}

/// Unix milliseconds as an RFC 3339 date in UTC, to the millisecond (as Bitwarden writes them).
pub fn ms_rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bitwardens_dates() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(
            rfc3339_ms("2024-05-01T12:00:00+02:00"),
            Some(1_714_557_600_000)
        );
        assert_eq!(rfc3339_ms("yesterday"), None);
    }
}
