//! The desktop app's side of Keyhaven Account: a sign-up or sign-in waiting for its SMS code,
//! this device's session, and the background sync worker. The logic lives in
//! `keyhaven-client`; this keeps the pieces the commands share between calls.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use keyhaven_client::connect::{attach_vault, cloud_vault};
use keyhaven_client::device::this_device;
use keyhaven_client::merge::{
    finish_interrupted_merge, local_vault_needs_merge, merge_into_cloud_vault,
};
use keyhaven_client::session::{AccountLink, Session, SessionStore};
use keyhaven_client::social::{
    BrowserSignIn, BrowserSignInError, RedeemDetails, SocialCode, DESKTOP_CLIENT_ID, PROVIDERS,
    WAIT_LIMIT,
};
use keyhaven_client::suite::{self, SuiteSession};
use keyhaven_client::sync::VaultAccess;
use keyhaven_client::worker::{SyncStatus, SyncWorker};
use keyhaven_client::{default_service_url, ApiClient, ClientError};
use keyhaven_protocol::accounts::{AccountInfo, ChangePhone, CreateAccount, SmsChallenge};
use keyhaven_protocol::devices::DeviceList;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{ChallengeOutcome, SignIn, SignInOutcome};
use keyhaven_protocol::statement::Statement;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::paths::remove_vault_files;
use keyhaven_vault::Vault;
use uuid::Uuid;

use crate::state::AppState;

/// The program name the app's session is filed under in the keyring.
const PROGRAM: &str = "desktop";
/// The platform this device reports to the service.
const PLATFORM: &str = "linux";

type Result<T> = std::result::Result<T, ClientError>;
type ChangeListener = Arc<dyn Fn(bool) + Send + Sync>;

/// Where a browser sign-in (Google, Facebook, Apple) stands.
enum BrowserStage {
    Idle,
    /// The listener waits; [`Account::finish_browser_sign_in`] waits for the browser.
    Listening(BrowserSignIn),
    /// The code came back and the service asked for more (statement, phone, password).
    Redeeming {
        api: ApiClient,
        code: SocialCode,
    },
}

/// What connecting this computer's vault to the signed-in account will do.
pub struct ConnectPlan {
    pub account_has_vault: bool,
    /// This computer has a vault of its own; its items go into the account's vault.
    pub merge_local_vault: bool,
}

/// A sign-up or sign-in that sent an SMS code and waits for it.
struct Pending {
    api: ApiClient,
    service_url: String,
    challenge: SmsChallenge,
}

/// What signing in led to.
pub enum SignInResult {
    /// A code was sent; [`Account::verify`] finishes.
    CodeSent(SmsChallenge),
    /// Signed in (2-step verification is off for this account).
    SignedIn,
}

/// The account side of the app, shared by the commands, the tray and the sync worker.
pub struct Account {
    store: SessionStore,
    service_url: String,
    session: Mutex<Option<Arc<Session>>>,
    pending: Mutex<Option<Pending>>,
    browser: Mutex<BrowserStage>,
    browser_stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    worker: Mutex<Option<SyncWorker>>,
    on_change: OnceLock<ChangeListener>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Account {
    /// The account state for the vault at `vault_path`; `account.json` beside it names the
    /// session, if this device is signed in.
    pub fn new(vault_path: &Path) -> Self {
        match finish_interrupted_merge(vault_path) {
            Ok(true) => eprintln!("keyhaven: finished putting the account's vault in place"),
            Ok(false) => {}
            Err(err) => eprintln!("keyhaven: cannot finish the interrupted merge: {err}"),
        }
        let store = SessionStore::new(vault_path.with_file_name("account.json"), PROGRAM);
        let session = match Session::resume(store.clone()) {
            Ok(session) => session.map(Arc::new),
            Err(err) => {
                eprintln!("keyhaven: the saved Keyhaven Account session cannot be used: {err}");
                None
            }
        };
        Self {
            store,
            service_url: default_service_url(),
            session: Mutex::new(session),
            pending: Mutex::new(None),
            browser: Mutex::new(BrowserStage::Idle),
            browser_stop: Mutex::new(None),
            worker: Mutex::new(None),
            on_change: OnceLock::new(),
        }
    }

    /// Calls `listener` whenever the account or sync status changes; the flag says a sync
    /// changed items here.
    pub fn on_change(&self, listener: impl Fn(bool) + Send + Sync + 'static) {
        let _ = self.on_change.set(Arc::new(listener));
    }

    fn changed(&self) {
        if let Some(listener) = self.on_change.get() {
            listener(false);
        }
    }

    pub fn service_url(&self) -> &str {
        &self.service_url
    }

    /// Who this device is signed in as.
    pub fn link(&self) -> Option<AccountLink> {
        lock(&self.session).as_ref().map(|s| s.link().clone())
    }

    fn session(&self) -> Result<Arc<Session>> {
        lock(&self.session)
            .clone()
            .ok_or(ClientError::SignInRequired)
    }

    /// The sync status, when a worker runs.
    pub fn sync_status(&self) -> Option<SyncStatus> {
        lock(&self.worker).as_ref().map(SyncWorker::status)
    }

    /// The Web-Portal Statement in force.
    pub async fn statement(&self) -> Result<Statement> {
        ApiClient::new(&self.service_url)?.statement().await
    }

    /// Starts creating an account; the code goes to `phone`.
    pub async fn sign_up(
        &self,
        email: String,
        password: &str,
        phone: String,
        accepted_statement_version: i64,
    ) -> Result<SmsChallenge> {
        let api = ApiClient::new(&self.service_url)?;
        // A sign-up still waiting for its code here may be corrected (another number) only by
        // this screen, which knows its challenge.
        let replaces_challenge_id = lock(&self.pending)
            .as_ref()
            .map(|pending| pending.challenge.challenge_id.clone());
        let challenge = api
            .create_account(&CreateAccount {
                email,
                password: password.into(),
                phone,
                accepted_statement_version,
                device: this_device(PLATFORM),
                replaces_challenge_id,
            })
            .await?;
        self.wait_for_code(api, challenge.clone());
        Ok(challenge)
    }

    /// Signs in with the account password.
    pub async fn sign_in(
        &self,
        email: String,
        password: &str,
        accepted_statement_version: Option<i64>,
    ) -> Result<SignInResult> {
        let api = ApiClient::new(&self.service_url)?;
        let outcome = api
            .sign_in(&SignIn {
                email,
                password: password.into(),
                device: this_device(PLATFORM),
                accepted_statement_version,
            })
            .await?;
        self.signed_in_or_code_sent(api, outcome)
    }

    /// Goes on from the service's answer to a sign-in: wait for the SMS code, or keep the session.
    fn signed_in_or_code_sent(
        &self,
        api: ApiClient,
        outcome: SignInOutcome,
    ) -> Result<SignInResult> {
        match outcome {
            SignInOutcome::SmsRequired(challenge) => {
                self.wait_for_code(api, challenge.clone());
                Ok(SignInResult::CodeSent(challenge))
            }
            SignInOutcome::SignedIn(grant) => {
                let session =
                    Session::establish(api, &self.service_url, grant, self.store.clone())?;
                *lock(&self.worker) = None;
                *lock(&self.session) = Some(Arc::new(session));
                self.changed();
                Ok(SignInResult::SignedIn)
            }
        }
    }

    /// The providers the service signs people in with, in the order the app shows them.
    pub async fn sign_in_providers(&self) -> Result<Vec<String>> {
        let configured = ApiClient::new(&self.service_url)?
            .social_providers()
            .await?
            .providers;
        Ok(PROVIDERS
            .iter()
            .filter(|p| configured.iter().any(|c| c == *p))
            .map(|p| (*p).to_owned())
            .collect())
    }

    /// The suite session another Keyhaven app of this computer published, when it can sign this
    /// app in to the service it uses: not while signed in, and not when it was withdrawn,
    /// expired, its device signed out, or the service cannot be asked.
    pub async fn suite_offer(&self) -> Option<SuiteSession> {
        let suite = self.suite_for_this_service()?;
        match suite::still_valid(&suite).await {
            Ok(true) => Some(suite),
            _ => None,
        }
    }

    /// The keyring's suite session, when this app is not signed in and it names this app's
    /// service (the service itself then judges whether it still holds).
    fn suite_for_this_service(&self) -> Option<SuiteSession> {
        if self.link().is_some() {
            return None;
        }
        let suite = suite::discover().ok().flatten()?;
        let same_service =
            suite.service_url.trim_end_matches('/') == self.service_url.trim_end_matches('/');
        same_service.then_some(suite)
    }

    /// Signs in as the suite session's account, with a device session of this app's own.
    pub async fn continue_with_suite(&self, accepted_statement_version: Option<i64>) -> Result<()> {
        let suite = self.suite_for_this_service().ok_or(ClientError::Service {
            code: ErrorCode::SuiteSessionInvalid,
            message: "The other Keyhaven app's sign-in has ended. Sign in another way.".into(),
            status: 401,
            retry_after_seconds: None,
            tries_left: None,
            statement_version: None,
        })?;
        let session = suite::sign_in(
            &suite,
            PLATFORM,
            self.store.clone(),
            accepted_statement_version,
        )
        .await?;
        *lock(&self.worker) = None;
        *lock(&self.session) = Some(Arc::new(session));
        self.changed();
        Ok(())
    }

    /// Starts signing in with `provider` in the system browser: opens the loopback listener and
    /// the browser, and returns the URL (to show, and to copy when no browser opened).
    pub async fn start_browser_sign_in(&self, provider: &str) -> Result<String> {
        if !PROVIDERS.contains(&provider) {
            return Err(ClientError::Protocol(format!(
                "unknown provider {provider}"
            )));
        }
        self.cancel_browser_sign_in();
        let started = BrowserSignIn::start(&self.service_url, DESKTOP_CLIENT_ID, provider).await?;
        let url = started.authorize_url().to_owned();
        if let Err(err) = open::that_detached(&url) {
            eprintln!("keyhaven: cannot open the browser for sign-in: {err}");
        }
        *lock(&self.browser) = BrowserStage::Listening(started);
        Ok(url)
    }

    /// Waits for the browser to come back (or Cancel, or five minutes), then redeems the code.
    pub async fn finish_browser_sign_in(&self) -> Result<SignInResult> {
        let BrowserStage::Listening(started) =
            std::mem::replace(&mut *lock(&self.browser), BrowserStage::Idle)
        else {
            return Err(no_browser_sign_in());
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        *lock(&self.browser_stop) = Some(stop_tx);
        let code = tokio::select! {
            code = started.wait(WAIT_LIMIT) => code,
            _ = stop_rx => Err(BrowserSignInError::Stopped.into()),
        };
        lock(&self.browser_stop).take();
        let code = code?;
        let api = ApiClient::new(&self.service_url)?;
        self.redeem(api, code, RedeemDetails::default()).await
    }

    /// Redeems the browser sign-in's code again with what the service asked for: the accepted
    /// statement and a phone number (new account), or the account password (linking).
    pub async fn continue_browser_sign_in(&self, details: RedeemDetails) -> Result<SignInResult> {
        let BrowserStage::Redeeming { api, code } =
            std::mem::replace(&mut *lock(&self.browser), BrowserStage::Idle)
        else {
            return Err(no_browser_sign_in());
        };
        self.redeem(api, code, details).await
    }

    async fn redeem(
        &self,
        api: ApiClient,
        code: SocialCode,
        details: RedeemDetails,
    ) -> Result<SignInResult> {
        match code.redeem(&api, PLATFORM, details).await {
            Ok(outcome) => self.signed_in_or_code_sent(api, outcome),
            Err(err) => {
                // The service keeps the code while it waits for more from the person.
                let asks_for_more = matches!(
                    err.code(),
                    Some(
                        ErrorCode::SignUpRequired
                            | ErrorCode::LinkRequired
                            | ErrorCode::InvalidCredentials
                            | ErrorCode::StatementAcceptanceRequired
                            | ErrorCode::InvalidPhone
                    )
                );
                if asks_for_more {
                    *lock(&self.browser) = BrowserStage::Redeeming { api, code };
                }
                Err(err)
            }
        }
    }

    /// Stops a browser sign-in: the listener closes and its code, if any, is forgotten.
    pub fn cancel_browser_sign_in(&self) {
        if let Some(stop) = lock(&self.browser_stop).take() {
            let _ = stop.send(());
        }
        *lock(&self.browser) = BrowserStage::Idle;
    }

    fn wait_for_code(&self, api: ApiClient, challenge: SmsChallenge) {
        *lock(&self.pending) = Some(Pending {
            api,
            service_url: self.service_url.clone(),
            challenge,
        });
    }

    /// The client, service URL and challenge id of the code being waited for.
    fn pending(&self) -> Result<(ApiClient, String, String)> {
        let pending = lock(&self.pending);
        let pending = pending.as_ref().ok_or_else(no_pending)?;
        Ok((
            pending.api.clone(),
            pending.service_url.clone(),
            pending.challenge.challenge_id.clone(),
        ))
    }

    /// Confirms the SMS code of the pending sign-up or sign-in; this device is then signed in.
    pub async fn verify(&self, code: &str) -> Result<AccountLink> {
        let (api, service_url, challenge_id) = self.pending()?;
        let ChallengeOutcome::SignedIn(grant) = api.verify(&challenge_id, code).await? else {
            return Err(ClientError::Protocol(
                "the code confirmed something other than a sign-in".into(),
            ));
        };
        *lock(&self.pending) = None;
        let session = Session::establish(api, &service_url, grant, self.store.clone())?;
        let link = session.link().clone();
        // A worker of an ended session stopped for good; the new session starts its own.
        *lock(&self.worker) = None;
        *lock(&self.session) = Some(Arc::new(session));
        self.changed();
        Ok(link)
    }

    /// Sends a new code for the pending sign-up or sign-in.
    pub async fn resend(&self) -> Result<SmsChallenge> {
        let (api, _, challenge_id) = self.pending()?;
        let challenge = api.resend(&challenge_id).await?;
        if let Some(pending) = lock(&self.pending).as_mut() {
            pending.challenge = challenge.clone();
        }
        Ok(challenge)
    }

    /// The signed-in account's details (masked phone number, 2-step verification).
    pub async fn info(&self) -> Result<AccountInfo> {
        self.session()?
            .authed(|api, token| async move { api.account(&token).await })
            .await
    }

    /// Starts changing the account's phone number (the account password confirms it); the
    /// code goes to the new number and [`Account::confirm_phone_change`] finishes.
    pub async fn change_phone(&self, password: &str, phone: String) -> Result<SmsChallenge> {
        let session = self.session()?;
        let request = ChangePhone {
            password: password.into(),
            phone,
        };
        let challenge = session
            .authed(|api, token| {
                let request = &request;
                async move { api.change_phone(&token, request).await }
            })
            .await?;
        self.wait_for_code(session.api().clone(), challenge.clone());
        Ok(challenge)
    }

    /// Confirms the code sent to the new phone number.
    pub async fn confirm_phone_change(&self, code: &str) -> Result<()> {
        let (api, _, challenge_id) = self.pending()?;
        match api.verify(&challenge_id, code).await? {
            ChallengeOutcome::PhoneChanged => {
                *lock(&self.pending) = None;
                Ok(())
            }
            ChallengeOutcome::SignedIn(_) => Err(ClientError::Protocol(
                "the code confirmed something other than a phone change".into(),
            )),
        }
    }

    /// Forgets a sign-up or sign-in waiting for its code (the person went back).
    pub fn cancel_pending(&self) {
        *lock(&self.pending) = None;
    }

    /// What connecting will do: whether the account already has a cloud vault (so connecting
    /// unlocks it rather than creating it), and whether this computer's vault is another one,
    /// whose items are then added to it. One question to the service.
    pub async fn connect_plan(&self, state: &AppState) -> Result<ConnectPlan> {
        let cloud = cloud_vault(&*self.session()?).await?;
        Ok(ConnectPlan {
            account_has_vault: cloud.is_some(),
            merge_local_vault: local_vault_needs_merge(state.vault_path(), cloud.as_ref())?,
        })
    }

    /// Connects this computer's vault to the account (creating or joining the cloud vault),
    /// opens it unlocked in the app and starts syncing.
    pub async fn connect_vault(
        &self,
        state: &AppState,
        master_password: &str,
        kdf: KdfParams,
        share_with_other_os_user: bool,
    ) -> Result<()> {
        let session = self.session()?;
        let vault = if self.connect_plan(state).await?.merge_local_vault {
            let local_items = state.shared_vault().with_vault(|v| v.items())?;
            let (vault, report) = merge_into_cloud_vault(
                &session,
                state.vault_path(),
                &local_items,
                master_password,
                share_with_other_os_user,
                || state.lock(),
            )
            .await?;
            eprintln!(
                "keyhaven: this computer's vault went into the account's: {} item(s) added, {} already there",
                report.added, report.folded
            );
            vault
        } else {
            attach_vault(
                &session,
                state.vault_path(),
                master_password,
                kdf,
                share_with_other_os_user,
            )
            .await?
        };
        state.install(vault);
        self.start_syncing(state);
        Ok(())
    }

    /// Starts the sync worker when signed in and the open vault is this account's; otherwise
    /// nudges a running one. Called on unlock.
    pub fn start_syncing(&self, state: &AppState) {
        let Ok(session) = self.session() else {
            return;
        };
        // Held while the worker starts, so that its first status report (which reads the
        // worker's status through `sync_status`) waits until the worker is in place.
        let mut worker = lock(&self.worker);
        if let Some(running) = worker.as_ref() {
            running.sync_now();
            return;
        }
        let vault = state.shared_vault();
        let account_id = session.link().account_id.to_string();
        let linked = vault
            .with_vault(|v| v.sync_link())
            .ok()
            .flatten()
            .is_some_and(|link| link.account_id == account_id);
        if !linked {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let listener = self.on_change.get().cloned();
        *worker = Some(SyncWorker::start(
            &runtime,
            session,
            Arc::new(vault),
            move |_, report| {
                if let Some(listener) = &listener {
                    listener(report.is_some_and(|r| r.pulled + r.merged > 0));
                }
            },
        ));
    }

    /// Syncs now (*Sync now*, after unlock).
    pub fn sync_now(&self) {
        if let Some(worker) = lock(&self.worker).as_ref() {
            worker.sync_now();
        }
    }

    /// A local change was made: the worker pushes it shortly.
    pub fn local_change(&self) {
        if let Some(worker) = lock(&self.worker).as_ref() {
            worker.local_change();
        }
    }

    /// The account's devices.
    pub async fn devices(&self) -> Result<DeviceList> {
        self.session()?
            .authed(|api, token| async move { api.devices(&token).await })
            .await
    }

    /// Signs one of the account's devices out.
    pub async fn revoke_device(&self, device_id: Uuid) -> Result<()> {
        self.session()?
            .authed(|api, token| async move { api.revoke_device(&token, device_id).await })
            .await
    }

    /// Signs this device out; the vault stays here as a local vault, or is deleted.
    pub async fn sign_out(&self, state: &AppState, keep_local_copy: bool) -> Result<()> {
        if !keep_local_copy && state.status().exists {
            let unsynced = Vault::open(state.vault_path())?.pending_count()?;
            if unsynced > 0 {
                return Err(ClientError::UnsyncedChanges(unsynced));
            }
        }
        *lock(&self.worker) = None;
        let session = lock(&self.session).take();
        match session {
            Some(session) => session.sign_out().await?,
            None => self.store.forget()?,
        }
        if keep_local_copy {
            let unlinked = state.shared_vault().with_vault(|v| v.unlink_account());
            if unlinked.is_err() && state.status().exists {
                Vault::open(state.vault_path())?.unlink_account()?;
            }
        } else {
            state.lock();
            remove_vault_files(state.vault_path())?;
        }
        self.changed();
        Ok(())
    }
}

fn no_browser_sign_in() -> ClientError {
    ClientError::Protocol("no browser sign-in is in progress; start again".into())
}

fn no_pending() -> ClientError {
    ClientError::Protocol("no sign-in is waiting for a code; start again".into())
}
