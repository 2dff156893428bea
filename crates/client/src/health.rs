//! The password-health report, worked out with the vault released while zxcvbn runs over items
//! that arrived without their facts ([`health_report`]), and the leak check: which of the vault's passwords appear in known breaches, asked of Have I Been
//! Pwned's range API with k-anonymity. Only the first five hex characters of a password's SHA-1
//! leave the device (`GET {endpoint}{prefix}`, with `Add-Padding: true` so that the answer's
//! size says nothing either); the rest is compared here. The results are kept in the vault,
//! sealed. When the check cannot run (offline, a bad answer), nothing in the vault changes.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::try_join_all;
use keyhaven_vault::health::{Fingerprint, HealthReport, LeakQuery};
use keyhaven_vault::VaultError;
use serde::Serialize;

use crate::sync::VaultAccess;

/// Have I Been Pwned's range API; a prefix is appended.
pub const DEFAULT_LEAK_CHECK_URL: &str = "https://api.pwnedpasswords.com/range/";

/// Environment variable that points the leak check elsewhere (tests, a mirror).
pub const LEAK_CHECK_URL_ENV: &str = "KEYHAVEN_LEAK_CHECK_URL";

/// The largest answer read for one prefix (a padded answer is about 40 KB).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// How many prefixes are asked for at once.
const CONCURRENT_REQUESTS: usize = 6;

/// Why a leak check did not run; the vault is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum LeakCheckError {
    #[error("the leak check address is not usable: {0}")]
    Endpoint(String),
    #[error(
        "the leak check could not run: {0}. Nothing was changed; try again when you are online"
    )]
    Unreachable(String),
    #[error("the leak check service gave an answer that is not a list of hashes ({0}). Nothing was changed")]
    BadAnswer(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl LeakCheckError {
    /// A stable snake_case code for UIs, scripts and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Endpoint(_) => "leak_check_endpoint",
            Self::Unreachable(_) => "leak_check_unreachable",
            Self::BadAnswer(_) => "leak_check_bad_answer",
            Self::Vault(error) => error.code(),
        }
    }
}

/// The endpoint to use: `$KEYHAVEN_LEAK_CHECK_URL` when set, else `configured`, else the public one.
pub fn leak_check_url(configured: Option<&str>) -> String {
    std::env::var(LEAK_CHECK_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .or_else(|| {
            configured
                .map(str::to_owned)
                .filter(|u| !u.trim().is_empty())
        })
        .unwrap_or_else(|| DEFAULT_LEAK_CHECK_URL.to_owned())
}

/// What a leak check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakCheckDone {
    /// Distinct passwords checked.
    pub checked: u32,
    /// How many of them appear in known breaches.
    pub leaked: u32,
    /// Milliseconds since the Unix epoch.
    pub checked_at: i64,
}

/// Asks a range API which passwords were seen in breaches.
pub struct LeakChecker {
    http: reqwest::Client,
    base: String,
}

impl LeakChecker {
    /// A checker for `endpoint` (the prefix is appended): HTTPS, or plain HTTP on this computer.
    pub fn new(endpoint: &str) -> Result<Self, LeakCheckError> {
        let mut base = endpoint.trim().to_owned();
        let url =
            reqwest::Url::parse(&base).map_err(|e| LeakCheckError::Endpoint(e.to_string()))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(LeakCheckError::Endpoint(
                "it must be https:// (plain http only on this computer)".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(LeakCheckError::Endpoint("it must not have a query".into()));
        }
        if !base.ends_with('/') {
            base.push('/');
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("keyhaven/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LeakCheckError::Endpoint(e.to_string()))?;
        Ok(Self { http, base })
    }

    /// How often each password was seen in breaches (0: never), one request per distinct prefix.
    pub async fn seen(
        &self,
        queries: &[LeakQuery],
    ) -> Result<Vec<(Fingerprint, u64)>, LeakCheckError> {
        let mut by_prefix: HashMap<&str, Vec<&LeakQuery>> = HashMap::new();
        for query in queries {
            by_prefix
                .entry(query.prefix.as_str())
                .or_default()
                .push(query);
        }
        let prefixes: Vec<(&str, Vec<&LeakQuery>)> = by_prefix.into_iter().collect();
        let mut seen = Vec::with_capacity(queries.len());
        for batch in prefixes.chunks(CONCURRENT_REQUESTS) {
            let asked: Vec<_> = batch.iter().map(|(prefix, _)| self.range(prefix)).collect();
            let answers = try_join_all(asked).await?;
            for ((_, wanted), answer) in batch.iter().zip(answers) {
                seen.extend(wanted.iter().map(|q| {
                    (
                        q.fingerprint,
                        answer.get(q.suffix.as_str()).copied().unwrap_or(0),
                    )
                }));
            }
        }
        Ok(seen)
    }

    /// The suffixes the API knows for one prefix, with their counts (padding lines count 0).
    async fn range(&self, prefix: &str) -> Result<HashMap<String, u64>, LeakCheckError> {
        debug_assert!(prefix.len() == 5 && prefix.bytes().all(|b| b.is_ascii_hexdigit()));
        let unreachable = |e: reqwest::Error| LeakCheckError::Unreachable(without_url(e));
        let mut response = self
            .http
            .get(format!("{}{prefix}", self.base))
            .header("Add-Padding", "true")
            .send()
            .await
            .map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(LeakCheckError::Unreachable(format!(
                "the service answered {}",
                response.status()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(LeakCheckError::BadAnswer("it is too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        parse_range(&body)
    }
}

/// A reqwest error's words without the URL (which holds the prefix; harmless, but not needed).
fn without_url(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "the service did not answer in time"
    } else if error.is_connect() {
        "the service could not be reached"
    } else {
        "the connection failed"
    };
    kind.to_owned()
}

/// `SUFFIX:COUNT` lines, 35 hex characters each; anything else is a bad answer.
fn parse_range(body: &[u8]) -> Result<HashMap<String, u64>, LeakCheckError> {
    let text =
        std::str::from_utf8(body).map_err(|_| LeakCheckError::BadAnswer("not text".into()))?;
    let mut seen = HashMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let bad = || {
            LeakCheckError::BadAnswer(format!(
                "line \"{}\"",
                line.chars().take(50).collect::<String>()
            ))
        };
        let (suffix, count) = line.split_once(':').ok_or_else(bad)?;
        if suffix.len() != 35 || !suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        seen.insert(suffix.to_ascii_uppercase(), count);
    }
    Ok(seen)
}

/// The vault's health report. Facts missing for items that arrived without them (an import, a
/// sync) are worked out with the vault released, so that other commands go on meanwhile; they
/// are kept only for the items still at the version they describe.
pub fn health_report(vault: &impl VaultAccess) -> Result<HealthReport, VaultError> {
    let work = vault.with_vault(|vault| vault.health_work())?;
    let computed = if work.is_empty() {
        None
    } else {
        Some(work.compute()?)
    };
    vault.with_vault(|vault| {
        if let Some(computed) = computed {
            vault.store_health(computed)?;
        }
        vault.read_health_report(now_ms())
    })
}

/// Checks every distinct password of the vault and keeps the results in it. The vault is
/// borrowed only to read the queries and to store the results, never across the network.
pub async fn check_leaked_passwords(
    vault: &impl VaultAccess,
    endpoint: &str,
) -> Result<LeakCheckDone, LeakCheckError> {
    let checker = LeakChecker::new(endpoint)?;
    let queries = vault.with_vault(|vault| vault.leak_queries())?;
    let seen = checker.seen(&queries).await?;
    let checked_at = now_ms();
    vault.with_vault(|vault| vault.record_leak_check(&seen, checked_at))?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(LeakCheckDone {
        checked: count(seen.len()),
        leaked: count(seen.iter().filter(|(_, n)| *n > 0).count()),
        checked_at,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_answer_is_parsed_and_anything_else_refused() {
        let body = b"1E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824\r\n0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n";
        let seen = parse_range(body).unwrap();
        assert_eq!(seen["1E4C9B93F3F0682250B6CF8331B7EE68FD8"], 9_545_824);
        assert_eq!(seen["0018A45C4D1DEF81644B54AB7F969B88D65"], 0);
        for bad in [
            &b"<html>"[..],
            b"1E4C:3",
            b"1E4C9B93F3F0682250B6CF8331B7EE68FD8:x",
            b"\xff",
        ] {
            assert_eq!(
                parse_range(bad).unwrap_err().code(),
                "leak_check_bad_answer"
            );
        }
    }

    #[test]
    fn only_https_or_loopback_http_endpoints_are_used() {
        assert!(LeakChecker::new("https://api.pwnedpasswords.com/range/").is_ok());
        assert!(LeakChecker::new("http://127.0.0.1:9/range").is_ok());
        for bad in [
            "http://example.com/range/",
            "ftp://x/",
            "not a url",
            "https://x/range?p=",
        ] {
            assert_eq!(
                LeakChecker::new(bad).err().unwrap().code(),
                "leak_check_endpoint"
            );
        }
    }
}
