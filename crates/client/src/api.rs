//! [`ApiClient`]: one method per `/v1` route.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use keyhaven_protocol::accounts::{
    AccountInfo, AddPassword, ChangePassword, ChangePhone, CreateAccount, DeleteAccount,
    LinkProvider, SetTwoStep, SignInMethods, SmsChallenge,
};
use keyhaven_protocol::devices::DeviceList;
use keyhaven_protocol::error::{Problem, PROBLEM_CONTENT_TYPE};
use keyhaven_protocol::secret::Secret;
use keyhaven_protocol::sessions::{
    ChallengeOutcome, RedeemSocialCode, Refresh, SessionGrant, SignIn, SignInOutcome,
    SocialProviders, SuiteCheck, SuiteSignIn, SuiteToken, TokenPair, VerifyCode,
};
use keyhaven_protocol::statement::Statement;
use keyhaven_protocol::vault::{
    ChangesPage, CreateVault, KeyMaterialReplaced, PushChanges, PushResult, ReplaceKeyMaterial,
    RevisionEvent, VaultInfo, REVISION_EVENT,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::error::ClientError;

type Result<T> = std::result::Result<T, ClientError>;

/// Talks to one Keyhaven Account service.
#[derive(Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
}

impl ApiClient {
    /// A client for the service at `base_url`: HTTPS, or plain HTTP on a loopback address only.
    pub fn new(base_url: &str) -> Result<Self> {
        let base = base_url.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| ClientError::Protocol(format!("service URL: {e}")))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(ClientError::Protocol(
                "the service URL must be https:// (plain http only on this computer)".into(),
            ));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("keyhaven-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::from_reqwest)?;
        Ok(Self { base, http })
    }

    /// The Web-Portal Statement in force.
    pub async fn statement(&self) -> Result<Statement> {
        self.call(Method::GET, "/v1/statement", None, None::<&()>)
            .await
    }

    /// Starts account creation; a code goes to the phone.
    pub async fn create_account(&self, request: &CreateAccount) -> Result<SmsChallenge> {
        self.call(Method::POST, "/v1/accounts", None, Some(request))
            .await
    }

    /// Confirms an SMS challenge.
    pub async fn verify(&self, challenge_id: &str, code: &str) -> Result<ChallengeOutcome> {
        let path = format!("/v1/challenges/{}/verify", segment(challenge_id)?);
        self.call(
            Method::POST,
            &path,
            None,
            Some(&VerifyCode { code: code.into() }),
        )
        .await
    }

    /// Asks for a new code for a pending challenge.
    pub async fn resend(&self, challenge_id: &str) -> Result<SmsChallenge> {
        let path = format!("/v1/challenges/{}/resend", segment(challenge_id)?);
        self.call(Method::POST, &path, None, None::<&()>).await
    }

    /// Signs in with email and account password.
    pub async fn sign_in(&self, request: &SignIn) -> Result<SignInOutcome> {
        self.call(Method::POST, "/v1/sessions", None, Some(request))
            .await
    }

    /// The sign-in providers the service is configured with.
    pub async fn social_providers(&self) -> Result<SocialProviders> {
        self.call(Method::GET, "/v1/oauth/providers", None, None::<&()>)
            .await
    }

    /// Redeems a social sign-in's one-time code (see [`crate::browser_sign_in`]): signs in, or says what
    /// the person still has to give (statement and phone to sign up, password to link).
    pub async fn redeem_social_code(&self, request: &RedeemSocialCode) -> Result<SignInOutcome> {
        self.call(Method::POST, "/v1/oauth/token", None, Some(request))
            .await
    }

    /// Publishes a suite token for the signed-in device (see [`crate::suite`]).
    pub async fn publish_suite_token(&self, access_token: &Secret) -> Result<SuiteToken> {
        self.call(
            Method::POST,
            "/v1/sessions/suite-token",
            Some(access_token),
            None::<&()>,
        )
        .await
    }

    /// Withdraws the signed-in device's suite token.
    pub async fn withdraw_suite_token(&self, access_token: &Secret) -> Result<()> {
        self.call(
            Method::DELETE,
            "/v1/sessions/suite-token",
            Some(access_token),
            None::<&()>,
        )
        .await
    }

    /// Whether a suite token would sign this computer in.
    pub async fn check_suite_token(&self, request: &SuiteCheck) -> Result<()> {
        self.call(
            Method::POST,
            "/v1/sessions/suite/check",
            None,
            Some(request),
        )
        .await
    }

    /// Signs this device in with a suite token.
    pub async fn suite_sign_in(&self, request: &SuiteSignIn) -> Result<SessionGrant> {
        self.call(Method::POST, "/v1/sessions/suite", None, Some(request))
            .await
    }

    /// Rotates the refresh token.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenPair> {
        let body = Refresh {
            refresh_token: refresh_token.clone(),
        };
        self.call(Method::POST, "/v1/sessions/refresh", None, Some(&body))
            .await
    }

    /// Signs this device out.
    pub async fn sign_out(&self, access_token: &Secret) -> Result<()> {
        self.call(
            Method::DELETE,
            "/v1/sessions/current",
            Some(access_token),
            None::<&()>,
        )
        .await
    }

    /// The signed-in account.
    pub async fn account(&self, access_token: &Secret) -> Result<AccountInfo> {
        self.call(Method::GET, "/v1/account", Some(access_token), None::<&()>)
            .await
    }

    /// Starts changing the account's phone number: a code goes to the new number.
    pub async fn change_phone(
        &self,
        access_token: &Secret,
        request: &ChangePhone,
    ) -> Result<SmsChallenge> {
        self.call(
            Method::POST,
            "/v1/account/phone",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// Replaces the account password; the service signs every other device out.
    pub async fn change_password(
        &self,
        access_token: &Secret,
        request: &ChangePassword,
    ) -> Result<()> {
        self.call(
            Method::PUT,
            "/v1/account/password",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// Gives an account without an account password one: a code goes to its phone.
    pub async fn add_password(
        &self,
        access_token: &Secret,
        request: &AddPassword,
    ) -> Result<SmsChallenge> {
        self.call(
            Method::POST,
            "/v1/account/password",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// Turns 2-step verification on or off.
    pub async fn set_two_step(&self, access_token: &Secret, request: &SetTwoStep) -> Result<()> {
        self.call(
            Method::PUT,
            "/v1/account/two-step",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// Deletes the account, its devices and its cloud vault.
    pub async fn delete_account(
        &self,
        access_token: &Secret,
        request: &DeleteAccount,
    ) -> Result<()> {
        self.call(
            Method::DELETE,
            "/v1/account",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// The account's sign-in methods: its password, if any, and its linked providers.
    pub async fn sign_in_methods(&self, access_token: &Secret) -> Result<SignInMethods> {
        self.call(
            Method::GET,
            "/v1/account/sign-in-methods",
            Some(access_token),
            None::<&()>,
        )
        .await
    }

    /// Links the provider identity of a browser sign-in's code to the signed-in account.
    pub async fn link_sign_in_method(
        &self,
        access_token: &Secret,
        request: &LinkProvider,
    ) -> Result<SignInMethods> {
        self.call(
            Method::POST,
            "/v1/account/sign-in-methods",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// Unlinks one provider (the service refuses the last sign-in method).
    pub async fn remove_sign_in_method(
        &self,
        access_token: &Secret,
        id: &str,
    ) -> Result<SignInMethods> {
        let path = format!("/v1/account/sign-in-methods/{}", segment(id)?);
        self.call(Method::DELETE, &path, Some(access_token), None::<&()>)
            .await
    }

    /// The account's devices.
    pub async fn devices(&self, access_token: &Secret) -> Result<DeviceList> {
        self.call(Method::GET, "/v1/devices", Some(access_token), None::<&()>)
            .await
    }

    /// Revokes one of the account's devices.
    pub async fn revoke_device(&self, access_token: &Secret, device_id: Uuid) -> Result<()> {
        let path = format!("/v1/devices/{device_id}");
        self.call(Method::DELETE, &path, Some(access_token), None::<&()>)
            .await
    }

    /// Creates the account's vault.
    pub async fn create_vault(
        &self,
        access_token: &Secret,
        request: &CreateVault,
    ) -> Result<VaultInfo> {
        self.call(Method::POST, "/v1/vault", Some(access_token), Some(request))
            .await
    }

    /// The vault's key material and revision.
    pub async fn vault(&self, access_token: &Secret) -> Result<VaultInfo> {
        self.call(Method::GET, "/v1/vault", Some(access_token), None::<&()>)
            .await
    }

    /// One page of changes after `since`.
    pub async fn changes(&self, access_token: &Secret, since: i64) -> Result<ChangesPage> {
        let path = format!("/v1/vault/changes?since={since}");
        self.call(Method::GET, &path, Some(access_token), None::<&()>)
            .await
    }

    /// Replaces the vault's key material with the sealed state that names it (compare-and-swap
    /// on the vault's revision).
    pub async fn replace_key(
        &self,
        access_token: &Secret,
        request: &ReplaceKeyMaterial,
    ) -> Result<KeyMaterialReplaced> {
        self.call(
            Method::PUT,
            "/v1/vault/key",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// Pushes item changes (all or nothing with a sealed state; compare-and-swap each without).
    pub async fn push(&self, access_token: &Secret, request: &PushChanges) -> Result<PushResult> {
        self.call(
            Method::POST,
            "/v1/vault/items",
            Some(access_token),
            Some(request),
        )
        .await
    }

    /// The vault's revision announcements, as they come (server-sent events).
    pub async fn events(
        &self,
        access_token: &Secret,
    ) -> Result<impl Stream<Item = Result<RevisionEvent>> + use<>> {
        let response = self
            .http
            .get(format!("{}/v1/vault/events", self.base))
            .bearer_auth(access_token.expose())
            .header("accept", "text/event-stream")
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        let response = check(response).await?;
        let mut pending = String::new();
        let stream = response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(ClientError::from_reqwest)?;
            pending.push_str(&String::from_utf8_lossy(&chunk));
            let mut events = Vec::new();
            while let Some(end) = pending.find("\n\n") {
                let block: String = pending.drain(..end + 2).collect();
                if let Some(event) = parse_event(&block)? {
                    events.push(event);
                }
            }
            Ok(events)
        });
        Ok(stream.flat_map(|batch: Result<Vec<RevisionEvent>>| {
            futures_util::stream::iter(match batch {
                Ok(events) => events.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(error) => vec![Err(error)],
            })
        }))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        access_token: Option<&Secret>,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(token) = access_token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(ClientError::from_reqwest)?;
        let response = check(response).await?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(ClientError::from_reqwest)?;
        let json: &[u8] = if status == StatusCode::NO_CONTENT || bytes.is_empty() {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(json).map_err(|e| ClientError::Protocol(e.to_string()))
    }
}

/// Passes successful responses through; turns problem documents into [`ClientError::Service`].
async fn check(response: reqwest::Response) -> Result<reqwest::Response> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
    let bytes = response.bytes().await.map_err(ClientError::from_reqwest)?;
    match serde_json::from_slice::<Problem>(&bytes) {
        Ok(problem) if is_problem => Err(ClientError::from_problem(problem)),
        _ => Err(ClientError::Protocol(format!(
            "the service answered {status}"
        ))),
    }
}

fn segment(id: &str) -> Result<&str> {
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(ClientError::Protocol("malformed id in a path".into()))
    }
}

fn parse_event(block: &str) -> Result<Option<RevisionEvent>> {
    let mut name = None;
    let mut data = String::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim_start());
        }
    }
    if name.as_deref() != Some(REVISION_EVENT) {
        return Ok(None);
    }
    serde_json::from_str(&data)
        .map(Some)
        .map_err(|e| ClientError::Protocol(format!("revision event: {e}")))
}
