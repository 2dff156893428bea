//! Every setting of the service and its default, in one place.
//!
//! Sources, later ones winning: the defaults below, a TOML file (`--config` or
//! `KEYHAVEN_SERVER_CONFIG`), then environment variables `KEYHAVEN_SERVER_<KEY>` where nested
//! keys are joined by `__` (`KEYHAVEN_SERVER_SMS__PROVIDER=twilio`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const ENV_PREFIX: &str = "KEYHAVEN_SERVER_";

/// The whole configuration. It serializes only so that environment values take the types of
/// the defaults; secrets and provider settings are left out.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the SQLite file, the SMS outbox and the server secret live by default.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/keyhaven.db`.
    pub database_url: String,
    /// Connections in the database pool.
    pub database_max_connections: u32,
    /// HMAC key for SMS codes, 64 hex digits; empty means read or create `<data_dir>/server-secret`.
    /// Set the same value on every node when several share one PostgreSQL database.
    #[serde(skip_serializing)]
    pub server_secret: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Serve HTTPS with this certificate chain and key (PEM); otherwise plain HTTP.
    #[serde(skip_serializing)]
    pub tls: Option<TlsConfig>,
    /// The Web-Portal Statement published when the database has none.
    pub statement_file: Option<PathBuf>,
    pub passwords: PasswordConfig,
    pub sessions: SessionConfig,
    pub sign_in: SignInLimits,
    pub sign_up: SignUpLimits,
    pub sms: SmsConfig,
    pub social: SocialConfig,
}

/// Social sign-in: the OpenID providers ("google", "apple", "facebook"…) by the name the app
/// uses, and the native apps that may start it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialConfig {
    /// The service's address as browsers reach it (providers redirect to
    /// `{public_url}/oauth/callback/{provider}`); empty means `http://{listen}`.
    pub public_url: String,
    /// Client ids of the native apps (public clients, PKCE required).
    pub clients: Vec<String>,
    /// How long an app's sign-in may wait for the provider's answer.
    pub request_ttl_seconds: u64,
    #[serde(skip_serializing)]
    pub providers: std::collections::BTreeMap<String, ProviderConfig>,
}

impl Default for SocialConfig {
    fn default() -> Self {
        Self {
            public_url: String::new(),
            clients: vec!["keyhaven-desktop".into(), "keyhaven-cli".into()],
            request_ttl_seconds: 10 * 60,
            providers: std::collections::BTreeMap::new(),
        }
    }
}

/// One OpenID provider, found by its issuer's discovery document; nothing about it is built in,
/// so a test can point "google" at a provider on loopback.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The issuer URL; `{issuer}/.well-known/openid-configuration` describes the rest.
    pub issuer: String,
    /// The service's client id at the provider (Facebook's is a number: written bare in TOML,
    /// it is taken as its digits).
    #[serde(deserialize_with = "text_or_number")]
    pub client_id: String,
    /// The client secret for the code exchange (Apple's is generated from its key instead).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Apple: the key the client secret is signed with for each exchange (overrides
    /// `client_secret`).
    #[serde(default)]
    pub client_secret_key: Option<crate::social::client_secret::ClientSecretKey>,
    /// `form_post` for providers that post the answer back (Apple); else the query string.
    #[serde(default)]
    pub response_mode: ResponseMode,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("response_mode", &self.response_mode)
            .finish_non_exhaustive()
    }
}

/// How a provider returns the authorization answer to the service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    #[default]
    Query,
    FormPost,
}

/// A string, or a whole number as its digits (an id a TOML file wrote without quotes).
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Number(u64),
    }
    Ok(match Text::deserialize(deserializer)? {
        Text::String(text) => text,
        Text::Number(number) => number.to_string(),
    })
}

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Argon2id cost of account password hashes (the server's own, unrelated to the vault's).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Shortest accepted account password, in characters.
    pub min_length: usize,
    /// Hashes that run at once (each holds `memory_kib`); 0 means one per core.
    pub max_concurrent_hashes: usize,
    /// Hashes that may wait for a free worker; beyond them a request gets 503 with `Retry-After`.
    pub max_queued_hashes: usize,
}

/// Token lifetimes.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    pub access_token_seconds: u64,
    pub refresh_token_seconds: u64,
    /// How long a rotated refresh token still answers with the pair it was rotated into.
    pub refresh_grace_seconds: u64,
}

/// Sign-in throttling, kept in the database so that every node sees the same counts.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInLimits {
    /// Sign-in attempts per client address within `per_ip_window_seconds`.
    pub per_ip_attempts: u32,
    pub per_ip_window_seconds: u64,
    /// Failed attempts per account (email) within `per_account_window_seconds`.
    pub per_account_failures: u32,
    pub per_account_window_seconds: u64,
}

/// Sign-up limits (every attempt counts), beside the hourly SMS limit per phone number.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignUpLimits {
    /// Sign-ups per client address within `per_ip_window_seconds`.
    pub per_ip_attempts: u32,
    pub per_ip_window_seconds: u64,
    /// Sign-ups per email address within `per_email_window_seconds`.
    pub per_email_attempts: u32,
    pub per_email_window_seconds: u64,
}

impl Default for SignUpLimits {
    fn default() -> Self {
        Self {
            per_ip_attempts: 10,
            per_ip_window_seconds: 60 * 60,
            per_email_attempts: 5,
            per_email_window_seconds: 60 * 60,
        }
    }
}

/// SMS security codes and the provider that delivers them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    pub provider: SmsProviderKind,
    /// JSON-lines file of the outbox provider; empty means `<data_dir>/sms-outbox.jsonl`.
    pub outbox_path: Option<PathBuf>,
    pub code_ttl_seconds: u64,
    pub max_attempts: u32,
    pub resend_cooldown_seconds: u64,
    /// Codes per hour, counted per account and per phone number separately.
    pub max_per_hour: u32,
    #[serde(skip_serializing)]
    pub twilio: Option<TwilioConfig>,
}

/// Which SMS provider sends codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProviderKind {
    /// Appends to a file and logs a masked line: self-hosting and tests.
    Outbox,
    /// A Twilio-Verify-compatible HTTP API.
    Twilio,
}

/// A Twilio-Verify-compatible endpoint (`{base_url}/v2/Services/{service_sid}/Verifications`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub service_sid: String,
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("service_sid", &self.service_sid)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            data_dir: PathBuf::from("keyhaven-server-data"),
            database_url: String::new(),
            database_max_connections: 8,
            server_secret: String::new(),
            max_body_bytes: 4 * 1024 * 1024,
            trust_forwarded_for: false,
            tls: None,
            statement_file: None,
            passwords: PasswordConfig::default(),
            sessions: SessionConfig::default(),
            sign_in: SignInLimits::default(),
            sign_up: SignUpLimits::default(),
            sms: SmsConfig::default(),
            social: SocialConfig::default(),
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        // OWASP's Argon2id recommendation: m = 19 MiB, t = 2, p = 1.
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
            min_length: 10,
            max_concurrent_hashes: 0,
            max_queued_hashes: 64,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            access_token_seconds: 15 * 60,
            refresh_token_seconds: 30 * 24 * 60 * 60,
            refresh_grace_seconds: 30,
        }
    }
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self {
            per_ip_attempts: 100,
            per_ip_window_seconds: 15 * 60,
            per_account_failures: 10,
            per_account_window_seconds: 15 * 60,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: SmsProviderKind::Outbox,
            outbox_path: None,
            code_ttl_seconds: 10 * 60,
            max_attempts: 5,
            resend_cooldown_seconds: 60,
            max_per_hour: 5,
            twilio: None,
        }
    }
}

/// A configuration that cannot be read or makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// The service's address as browsers reach it, without a trailing slash.
    pub fn public_url(&self) -> String {
        if self.social.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.social.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// Defaults, then the TOML file if given, then `KEYHAVEN_SERVER_*` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?
            }
            None => toml::Table::new(),
        };
        apply_env(&mut table, std::env::vars())?;
        Self::from_table(table)
    }

    /// A configuration file's text over the defaults, checked (no environment).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table = text
            .parse::<toml::Table>()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Self::from_table(table)
    }

    fn from_table(table: toml::Table) -> Result<Self, ConfigError> {
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings that would make the service insecure or unusable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.sms.max_attempts == 0 || self.sms.max_per_hour == 0 {
            return invalid("sms.max_attempts and sms.max_per_hour must be at least 1");
        }
        if self.sms.code_ttl_seconds == 0 || self.sessions.access_token_seconds == 0 {
            return invalid("lifetimes must be at least one second");
        }
        if self.sms.provider == SmsProviderKind::Twilio && self.sms.twilio.is_none() {
            return invalid("sms.provider = \"twilio\" needs an [sms.twilio] section");
        }
        if self.passwords.min_length < 8 {
            return invalid("passwords.min_length must be at least 8");
        }
        if !self.server_secret.is_empty() && decode_secret(&self.server_secret).is_none() {
            return invalid("server_secret must be 64 hex digits");
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("keyhaven.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// The outbox file of the outbox SMS provider.
    pub fn outbox_path(&self) -> PathBuf {
        self.sms
            .outbox_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("sms-outbox.jsonl"))
    }
}

/// Parses a 64-hex-digit server secret.
pub fn decode_secret(hex_text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_text.trim()).ok()?;
    bytes.try_into().ok()
}

/// Folds `KEYHAVEN_SERVER_A__B=value` into `table.a.b`. A value takes the type of the key it
/// sets (a number for `sms.max_per_hour`, a string for a client id that looks like a number).
fn apply_env(
    table: &mut toml::Table,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let defaults = toml::Table::try_from(Config::default())
        .map_err(|e| ConfigError::Invalid(format!("the defaults do not serialize: {e}")))?;
    for (name, value) in vars {
        let Some(key) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if key == "CONFIG" {
            continue;
        }
        let path: Vec<String> = key.split("__").map(str::to_ascii_lowercase).collect();
        let typed = env_value(&name, &value, default_at(&defaults, &path))?;
        let mut node = &mut *table;
        for part in &path[..path.len() - 1] {
            let entry = node
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry
                .as_table_mut()
                .ok_or_else(|| ConfigError::Invalid(format!("{name}: {part} is not a section")))?;
        }
        let leaf = path.last().cloned().unwrap_or_default();
        node.insert(leaf, typed);
    }
    Ok(())
}

/// The default value at a dotted path, which tells the type the key holds.
fn default_at<'a>(defaults: &'a toml::Table, path: &[String]) -> Option<&'a toml::Value> {
    let (last, sections) = path.split_last()?;
    let mut node = defaults;
    for part in sections {
        node = node.get(part)?.as_table()?;
    }
    node.get(last)
}

/// An environment value as the type of the key's default; keys without one (provider and
/// Twilio settings, paths) are strings, whatever they look like.
fn env_value(
    name: &str,
    text: &str,
    default: Option<&toml::Value>,
) -> Result<toml::Value, ConfigError> {
    let refuse =
        |expected: &str| ConfigError::Invalid(format!("{name} must be {expected}, not \"{text}\""));
    Ok(match default {
        Some(toml::Value::Integer(_)) => {
            toml::Value::Integer(text.trim().parse().map_err(|_| refuse("a whole number"))?)
        }
        Some(toml::Value::Float(_)) => {
            toml::Value::Float(text.trim().parse().map_err(|_| refuse("a number"))?)
        }
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match text.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(refuse("true or false")),
        }),
        _ => toml::Value::String(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(toml_text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut table: toml::Table = toml_text.parse().unwrap();
        let vars = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        apply_env(&mut table, vars)?;
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    #[test]
    fn defaults_follow_the_issue() {
        let config = Config::default();
        assert_eq!(config.sms.code_ttl_seconds, 600);
        assert_eq!(config.sms.max_attempts, 5);
        assert_eq!(config.sms.resend_cooldown_seconds, 60);
        assert_eq!(config.sms.max_per_hour, 5);
        assert_eq!(config.sessions.access_token_seconds, 900);
        assert_eq!(config.sessions.refresh_token_seconds, 30 * 86_400);
        assert!(config.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn environment_overrides_the_file_with_typed_values() {
        let config = from(
            "listen = \"127.0.0.1:1\"\n[sms]\nmax_per_hour = 3\n",
            &[
                ("KEYHAVEN_SERVER_SMS__MAX_PER_HOUR", "7"),
                ("KEYHAVEN_SERVER_TRUST_FORWARDED_FOR", "true"),
                ("KEYHAVEN_SERVER_DATABASE_URL", "postgres://x@127.0.0.1/db"),
                ("UNRELATED", "1"),
            ],
        )
        .unwrap();
        assert_eq!(config.sms.max_per_hour, 7);
        assert!(config.trust_forwarded_for);
        assert_eq!(config.database_url(), "postgres://x@127.0.0.1/db");
        assert_eq!(config.listen.port(), 1);
    }

    #[test]
    fn unknown_keys_and_unsafe_values_are_refused() {
        assert!(from("lisen = \"127.0.0.1:1\"", &[]).is_err());
        assert!(from("[sms]\nmax_attempts = 0", &[]).is_err());
        assert!(from("[sms]\nprovider = \"twilio\"", &[]).is_err());
        assert!(from("server_secret = \"abc\"", &[]).is_err());
    }

    #[test]
    fn social_providers_come_from_the_file_or_the_environment_and_hide_their_secrets() {
        let config = from(
            "[social.providers.apple]\nissuer = \"https://appleid.apple.com\"\nclient_id = \"app.keyhaven\"\nresponse_mode = \"form_post\"\n",
            &[
                ("KEYHAVEN_SERVER_SOCIAL__PROVIDERS__GOOGLE__ISSUER", "http://127.0.0.1:4000"),
                ("KEYHAVEN_SERVER_SOCIAL__PROVIDERS__GOOGLE__CLIENT_ID", "keyhaven"),
                ("KEYHAVEN_SERVER_SOCIAL__PROVIDERS__GOOGLE__CLIENT_SECRET", "very-secret"),
            ],
        )
        .unwrap();
        let google = &config.social.providers["google"];
        assert_eq!(google.issuer, "http://127.0.0.1:4000");
        assert_eq!(google.response_mode, ResponseMode::Query);
        assert_eq!(
            config.social.providers["apple"].response_mode,
            ResponseMode::FormPost
        );
        assert!(!format!("{config:?}").contains("very-secret"));
    }

    #[test]
    fn environment_values_that_look_like_numbers_stay_strings_where_strings_are_expected() {
        let config = from(
            "[social.providers.facebook]\nissuer = \"https://www.facebook.com\"\n",
            &[
                (
                    "KEYHAVEN_SERVER_SOCIAL__PROVIDERS__FACEBOOK__CLIENT_ID",
                    "1234567890123456",
                ),
                (
                    "KEYHAVEN_SERVER_SOCIAL__PROVIDERS__FACEBOOK__CLIENT_SECRET",
                    "0123456789",
                ),
                (
                    "KEYHAVEN_SERVER_SMS__TWILIO__BASE_URL",
                    "http://127.0.0.1:9",
                ),
                ("KEYHAVEN_SERVER_SMS__TWILIO__ACCOUNT_SID", "007"),
                ("KEYHAVEN_SERVER_SMS__TWILIO__AUTH_TOKEN", "true"),
                ("KEYHAVEN_SERVER_SMS__TWILIO__SERVICE_SID", "42"),
                ("KEYHAVEN_SERVER_SERVER_SECRET", &"0".repeat(64)),
                ("KEYHAVEN_SERVER_DATA_DIR", "1234"),
                ("KEYHAVEN_SERVER_DATABASE_MAX_CONNECTIONS", "1"),
            ],
        )
        .unwrap();
        let facebook = &config.social.providers["facebook"];
        assert_eq!(facebook.client_id, "1234567890123456");
        assert_eq!(facebook.client_secret.as_deref(), Some("0123456789"));
        let twilio = config.sms.twilio.as_ref().unwrap();
        assert_eq!(
            (twilio.account_sid.as_str(), twilio.auth_token.as_str()),
            ("007", "true")
        );
        assert_eq!(config.server_secret, "0".repeat(64));
        assert_eq!(config.data_dir, PathBuf::from("1234"));
        assert_eq!(config.database_max_connections, 1);
    }

    #[test]
    fn a_numeric_client_id_written_bare_in_the_file_is_its_digits() {
        let config = from(
            "[social.providers.facebook]\nissuer = \"https://www.facebook.com\"\nclient_id = 1234567890123456\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            config.social.providers["facebook"].client_id,
            "1234567890123456"
        );
    }

    #[test]
    fn an_environment_value_of_the_wrong_type_names_the_variable() {
        let error = from("", &[("KEYHAVEN_SERVER_SMS__MAX_PER_HOUR", "five")]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("KEYHAVEN_SERVER_SMS__MAX_PER_HOUR must be a whole number"),
            "{error}"
        );
        let error = from("", &[("KEYHAVEN_SERVER_TRUST_FORWARDED_FOR", "maybe")]).unwrap_err();
        assert!(error.to_string().contains("true or false"), "{error}");
    }
}
