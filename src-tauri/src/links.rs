//! Which of an item's URLs may be handed to the browser, and in what form.

/// Why a URL is not opened.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this item has no URL to open")]
    Empty,
    #[error("only web addresses (http and https) are opened, not “{0}:” links")]
    Scheme(String),
}

/// The URL to open for what a person typed: `example.com` becomes `https://example.com`;
/// schemes other than http(s) (`file:`, `javascript:`, custom handlers) are refused.
pub fn browsable_url(raw: &str) -> Result<String, LinkError> {
    let url = raw.trim();
    if url.is_empty() {
        return Err(LinkError::Empty);
    }
    if url.chars().any(char::is_control) {
        return Err(LinkError::Scheme("control characters".into()));
    }
    match url.split_once(':') {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.chars().next().is_some_and(|c| c.is_ascii_digit()) =>
        {
            let scheme = scheme.to_ascii_lowercase();
            if scheme == "http" || scheme == "https" {
                Ok(url.to_string())
            } else {
                Err(LinkError::Scheme(scheme))
            }
        }
        _ => Ok(format!("https://{url}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_open_as_they_are() {
        assert_eq!(
            browsable_url("https://example.com/a?b").unwrap(),
            "https://example.com/a?b"
        );
        assert_eq!(
            browsable_url(" HTTP://example.com ").unwrap(),
            "HTTP://example.com"
        );
    }

    #[test]
    fn bare_host_names_get_https() {
        assert_eq!(browsable_url("example.com").unwrap(), "https://example.com");
        assert_eq!(
            browsable_url("localhost:8080/x").unwrap(),
            "https://localhost:8080/x"
        );
    }

    #[test]
    fn other_schemes_and_empty_urls_are_refused() {
        assert_eq!(
            browsable_url("javascript:alert(1)"),
            Err(LinkError::Scheme("javascript".into()))
        );
        assert_eq!(
            browsable_url("file:///etc/passwd"),
            Err(LinkError::Scheme("file".into()))
        );
        assert_eq!(browsable_url("  "), Err(LinkError::Empty));
        assert!(browsable_url("https://a\n.com").is_err());
    }
}
