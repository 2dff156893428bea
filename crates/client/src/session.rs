//! A device's session with Keyhaven Account: who it is signed in as (a small file, no secret),
//! the refresh token (only in the OS keyring) and the access token (only in memory).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::secret::Secret;
use keyhaven_protocol::sessions::{SessionGrant, TokenPair};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::api::ApiClient;
use crate::error::ClientError;
use crate::keyring_item::KeyringItem;

type Result<T> = std::result::Result<T, ClientError>;

/// Keyring service name under which refresh tokens are stored.
const KEYRING_SERVICE: &str = "app.keyhaven.session";
/// Access tokens are renewed this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);

/// Which account this device is signed in to, where, and as which device. Not secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLink {
    pub service_url: String,
    pub account_id: Uuid,
    pub email: String,
    pub device_id: Uuid,
    /// Another OS user of this computer was already connected to the account at sign-in.
    #[serde(default)]
    pub other_os_user_connected: bool,
}

/// Where one program keeps its session: the link file and its keyring entries.
#[derive(Debug, Clone)]
pub struct SessionStore {
    link_path: PathBuf,
    program: String,
}

impl SessionStore {
    /// The session of `program` (`desktop`, `cli`), described by the file at `link_path`.
    pub fn new(link_path: PathBuf, program: &str) -> Self {
        Self {
            link_path,
            program: program.to_owned(),
        }
    }

    /// The account this program is signed in to, if any.
    pub fn link(&self) -> Result<Option<AccountLink>> {
        match std::fs::read(&self.link_path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.storage_error(e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.storage_error(e)),
        }
    }

    fn save_link(&self, link: &AccountLink) -> Result<()> {
        let json = serde_json::to_vec_pretty(link).map_err(|e| self.storage_error(e))?;
        write_private(&self.link_path, &json).map_err(|e| self.storage_error(e))
    }

    fn entry(&self, link: &AccountLink) -> Result<KeyringItem> {
        KeyringItem::new(
            KEYRING_SERVICE,
            &format!("{}/{}/{}", self.program, link.account_id, link.device_id),
        )
    }

    fn refresh_token(&self, link: &AccountLink) -> Result<Option<Secret>> {
        Ok(self.entry(link)?.read()?.map(Secret::new))
    }

    fn save_refresh_token(&self, link: &AccountLink, token: &Secret) -> Result<()> {
        self.entry(link)?.write(token.expose())
    }

    /// Removes the session from this computer: the keyring entry, then the link file.
    pub fn forget(&self) -> Result<()> {
        if let Some(link) = self.link()? {
            self.entry(&link)?.remove()?;
        }
        match std::fs::remove_file(&self.link_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.storage_error(e)),
        }
    }

    fn storage_error(&self, err: impl std::fmt::Display) -> ClientError {
        ClientError::Storage {
            path: self.link_path.display().to_string(),
            reason: err.to_string(),
        }
    }
}

/// Writes `bytes` to `path` atomically, readable by this OS user only.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// A signed-in device: calls the service with a fresh access token, rotating the refresh token
/// in the keyring as needed.
pub struct Session {
    api: ApiClient,
    link: AccountLink,
    store: SessionStore,
    access: Mutex<Option<(Secret, Instant)>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("link", &self.link).finish()
    }
}

impl Session {
    /// Stores a fresh grant (from a verified SMS code or a password sign-in) and starts using it.
    pub fn establish(
        api: ApiClient,
        service_url: &str,
        grant: SessionGrant,
        store: SessionStore,
    ) -> Result<Self> {
        // A session this program had before (signed out elsewhere, revoked) is replaced.
        store.forget()?;
        let link = AccountLink {
            service_url: service_url.to_owned(),
            account_id: grant.account_id,
            email: grant.email,
            device_id: grant.device_id,
            other_os_user_connected: grant.other_os_user_connected,
        };
        store.save_refresh_token(&link, &grant.tokens.refresh_token)?;
        store.save_link(&link)?;
        let session = Self::new(api, link, store);
        session.keep_access(&grant.tokens);
        Ok(session)
    }

    /// The stored session of this program, if it is signed in (the service is not asked yet).
    pub fn resume(store: SessionStore) -> Result<Option<Self>> {
        let Some(link) = store.link()? else {
            return Ok(None);
        };
        let api = ApiClient::new(&link.service_url)?;
        Ok(Some(Self::new(api, link, store)))
    }

    fn new(api: ApiClient, link: AccountLink, store: SessionStore) -> Self {
        Self {
            api,
            link,
            store,
            access: Mutex::new(None),
        }
    }

    fn keep_access(&self, tokens: &TokenPair) {
        let expires = Instant::now()
            + Duration::from_secs(tokens.access_expires_in_seconds).saturating_sub(EXPIRY_MARGIN);
        if let Ok(mut access) = self.access.try_lock() {
            *access = Some((tokens.access_token.clone(), expires));
        }
    }

    pub fn link(&self) -> &AccountLink {
        &self.link
    }

    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// A valid access token, refreshing (and rotating the refresh token) when needed.
    pub async fn access_token(&self) -> Result<Secret> {
        let mut access = self.access.lock().await;
        if let Some((token, expires)) = access.as_ref() {
            if Instant::now() < *expires {
                return Ok(token.clone());
            }
        }
        let refresh = self
            .store
            .refresh_token(&self.link)?
            .ok_or(ClientError::SignInRequired)?;
        let tokens = match self.api.refresh(&refresh).await {
            Ok(tokens) => tokens,
            Err(err) if ends_session(&err) => return Err(ClientError::SignInRequired),
            Err(err) => return Err(err),
        };
        self.store
            .save_refresh_token(&self.link, &tokens.refresh_token)?;
        let expires = Instant::now()
            + Duration::from_secs(tokens.access_expires_in_seconds).saturating_sub(EXPIRY_MARGIN);
        *access = Some((tokens.access_token.clone(), expires));
        Ok(tokens.access_token)
    }

    /// Runs `call` with an access token; when the service no longer accepts it, refreshes once
    /// and tries again.
    pub async fn authed<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(ApiClient, Secret) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let token = self.access_token().await?;
        match call(self.api.clone(), token).await {
            Err(ClientError::Service {
                code: ErrorCode::Unauthenticated,
                ..
            }) => {
                *self.access.lock().await = None;
                let token = self.access_token().await?;
                call(self.api.clone(), token).await.map_err(|err| {
                    if ends_session(&err) {
                        ClientError::SignInRequired
                    } else {
                        err
                    }
                })
            }
            other => other,
        }
    }

    /// Signs this device out at the service (when it can be reached) and forgets the session here.
    pub async fn sign_out(&self) -> Result<()> {
        let revoked = match self.access_token().await {
            Ok(token) => self.api.sign_out(&token).await,
            Err(err) => Err(err),
        };
        match revoked {
            Ok(()) | Err(ClientError::SignInRequired) => {}
            Err(err) => tracing::warn!(
                code = err.code_str(),
                "sign-out not confirmed by the service; the session is forgotten here"
            ),
        }
        self.store.forget()
    }
}

/// Errors after which this session cannot be used again.
fn ends_session(err: &ClientError) -> bool {
    matches!(
        err.code(),
        Some(
            ErrorCode::InvalidRefreshToken
                | ErrorCode::RefreshTokenReused
                | ErrorCode::Unauthenticated
        )
    ) || matches!(err, ClientError::SignInRequired)
}
