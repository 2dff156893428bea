//! Suite sign-in: an app of the Keyhaven family that is signed in on this computer publishes a
//! *suite session* in the OS keyring, and another one offers "Continue as <email>" with it.
//!
//! The documented format: one Secret Service item with the attributes
//! `service = "app.keyhaven.suite"` and `username = "suite-session"` (one per OS user), whose
//! secret is the JSON `{"version": 1, "service_url": "...", "email": "...",
//! "suite_token": "...", "published_by": "cli"}`. The token is the service's suite token
//! (`POST /v1/sessions/suite-token`): it signs in only from this computer, only while the
//! publishing device is signed in, and it expires with the refresh token lifetime.

use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::secret::Secret;
use keyhaven_protocol::sessions::{SuiteCheck, SuiteSignIn};
use serde::{Deserialize, Serialize};

use crate::device::this_device;
use crate::keyring_item::KeyringItem;
use crate::session::{Session, SessionStore};
use crate::{ApiClient, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

/// The keyring item's `service` attribute.
pub const SUITE_KEYRING_SERVICE: &str = "app.keyhaven.suite";
/// The keyring item's `username` attribute.
pub const SUITE_KEYRING_USER: &str = "suite-session";
/// The format version this client writes and reads.
const FORMAT_VERSION: u32 = 1;

/// A suite session as found in the keyring.
#[derive(Clone, Serialize, Deserialize)]
pub struct SuiteSession {
    pub version: u32,
    pub service_url: String,
    pub email: String,
    pub suite_token: Secret,
    /// The program that published it (`cli`, `desktop`…).
    pub published_by: String,
}

impl std::fmt::Debug for SuiteSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteSession")
            .field("service_url", &self.service_url)
            .field("email", &self.email)
            .field("published_by", &self.published_by)
            .finish_non_exhaustive()
    }
}

fn entry() -> Result<KeyringItem> {
    KeyringItem::new(SUITE_KEYRING_SERVICE, SUITE_KEYRING_USER)
}

/// Publishes `session`'s account as this OS user's suite session (replacing any other).
pub async fn publish(session: &Session, program: &str) -> Result<()> {
    let token = session
        .authed(|api, token| async move { api.publish_suite_token(&token).await })
        .await?;
    let suite = SuiteSession {
        version: FORMAT_VERSION,
        service_url: session.link().service_url.clone(),
        email: session.link().email.clone(),
        suite_token: token.suite_token,
        published_by: program.to_owned(),
    };
    let json = serde_json::to_string(&suite).map_err(|e| ClientError::Protocol(e.to_string()))?;
    entry()?.write(&json)
}

/// Withdraws the suite session `session` published: at the service, and from the keyring when
/// the one there is this account's, published by `program`.
pub async fn withdraw(session: &Session, program: &str) -> Result<()> {
    let at_service = session
        .authed(|api, token| async move { api.withdraw_suite_token(&token).await })
        .await;
    forget(&session.link().email, Some(program))?;
    at_service
}

/// Removes the keyring's suite session when it is `email`'s (and, if named, `published_by`'s).
pub fn forget(email: &str, published_by: Option<&str>) -> Result<()> {
    let matches = |s: &SuiteSession| {
        s.email == email && published_by.is_none_or(|program| s.published_by == program)
    };
    if discover()?.is_some_and(|s| matches(&s)) {
        entry()?.remove()?;
    }
    Ok(())
}

/// The suite session in the keyring, if there is a readable one.
pub fn discover() -> Result<Option<SuiteSession>> {
    let Some(json) = entry()?.read()? else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<SuiteSession>(&json)
        .ok()
        .filter(|s| s.version == FORMAT_VERSION))
}

/// Whether the service would still sign this computer in with `suite` (false when it was
/// withdrawn, expired, or its device signed out).
pub async fn still_valid(suite: &SuiteSession) -> Result<bool> {
    let request = SuiteCheck {
        suite_token: suite.suite_token.clone(),
        machine_hash: this_device("check").machine_hash,
    };
    match ApiClient::new(&suite.service_url)?
        .check_suite_token(&request)
        .await
    {
        Ok(()) => Ok(true),
        Err(err) if err.code() == Some(ErrorCode::SuiteSessionInvalid) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Signs this program in as the suite session's account, with a device session of its own.
pub async fn sign_in(
    suite: &SuiteSession,
    platform: &str,
    store: SessionStore,
    accepted_statement_version: Option<i64>,
) -> Result<Session> {
    let api = ApiClient::new(&suite.service_url)?;
    let grant = api
        .suite_sign_in(&SuiteSignIn {
            suite_token: suite.suite_token.clone(),
            device: this_device(platform),
            accepted_statement_version,
        })
        .await?;
    Session::establish(api, &suite.service_url, grant, store)
}
