//! What the app keeps of Keyhaven Account between commands: this device's session, the step in
//! progress (an SMS code or a browser sign-in), the browser listener, and the sync worker. Every
//! account step is `keyhaven_client::account`'s; this holds its state, and tells the UI.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use keyhaven_client::account::{
    AccountFlow, ConnectRequest, DataDir, LinkState, LocalVault, Outcome, PasswordChanged,
    PasswordSignIn, Pending, Program, SignInMethodsView, SignUp, Step,
};
use keyhaven_client::browser_sign_in::{
    BrowserCode, BrowserSignIn, BrowserSignInError, RedeemDetails, WAIT_LIMIT,
};
use keyhaven_client::session::{AccountLink, Session};
use keyhaven_client::suite::SuiteSession;
use keyhaven_client::sync::VaultAccess;
use keyhaven_client::worker::{SyncStatus, SyncWorker};
use keyhaven_client::{default_service_url, ClientError};
use keyhaven_protocol::accounts::{AccountInfo, SmsChallenge};
use keyhaven_protocol::devices::DeviceList;
use keyhaven_protocol::statement::Statement;
use keyhaven_vault::crypto::KdfParams;
use uuid::Uuid;

use crate::state::AppState;

type Result<T> = std::result::Result<T, ClientError>;
type ChangeListener = Arc<dyn Fn(bool) + Send + Sync>;

/// A browser sign-in whose listener waits for the browser to come back.
struct Listening {
    provider: String,
    started: BrowserSignIn,
}

/// The account side of the app, shared by the commands, the tray and the sync worker.
pub struct AccountState {
    flow: AccountFlow,
    session: Mutex<Option<Arc<Session>>>,
    pending: Mutex<Option<Pending>>,
    listening: Mutex<Option<Listening>>,
    browser_stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    worker: Mutex<Option<SyncWorker>>,
    on_change: OnceLock<ChangeListener>,
}

/// The code a settings step sent (a phone change, an added password); any other step is a
/// protocol error.
fn code_sent(step: Step) -> Result<SmsChallenge> {
    match step {
        Step::EnterCode { code_sent } => Ok(code_sent),
        _ => Err(ClientError::Protocol("no code was sent".into())),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AccountState {
    /// The account state for the vault in `files`; finishes a merge an interruption left half
    /// done, and resumes the saved session.
    pub fn new(files: DataDir) -> Self {
        match files.finish_interrupted_merge() {
            Ok(true) => eprintln!("keyhaven: finished putting the account's vault in place"),
            Ok(false) => {}
            Err(err) => eprintln!("keyhaven: cannot finish the interrupted merge: {err}"),
        }
        let flow = AccountFlow::new(files, Program::Desktop, default_service_url());
        let session = match flow.resume() {
            Ok(session) => session.map(Arc::new),
            Err(err) => {
                eprintln!("keyhaven: the saved Keyhaven Account session cannot be used: {err}");
                None
            }
        };
        Self {
            flow,
            session: Mutex::new(session),
            pending: Mutex::new(None),
            listening: Mutex::new(None),
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
        self.flow.service_url()
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

    /// Runs one step with the pending slot taken out of its mutex (never held across the network)
    /// and puts back what the step left in it.
    async fn with_pending<T, F, Fut>(&self, step: F) -> Result<T>
    where
        F: FnOnce(Option<Pending>) -> Fut,
        Fut: Future<Output = (Option<Pending>, Result<T>)>,
    {
        let taken = lock(&self.pending).take();
        let (left, result) = step(taken).await;
        *lock(&self.pending) = left;
        result
    }

    /// The step to show after `outcome`: a new session is kept, and its next step is the vault.
    async fn present(&self, outcome: Outcome) -> Result<Step> {
        match outcome {
            Outcome::Step(step) => Ok(step),
            Outcome::SignedIn(signed_in) => {
                let session = Arc::new(signed_in.session);
                self.install(session.clone());
                Ok(Step::ConnectVault(self.flow.connect_plan(&session).await?))
            }
            Outcome::PhoneChanged | Outcome::PasswordAdded => Err(ClientError::Protocol(
                "the code confirmed an account setting, not a sign-in".into(),
            )),
        }
    }

    fn install(&self, session: Arc<Session>) {
        // A worker of an ended session stopped for good; the new session starts its own.
        *lock(&self.worker) = None;
        *lock(&self.session) = Some(session);
        self.changed();
    }

    /// The Web-Portal Statement in force.
    pub async fn statement(&self) -> Result<Statement> {
        self.flow.statement().await
    }

    /// The providers the service signs people in with, in the order the app shows them.
    pub async fn sign_in_providers(&self) -> Result<Vec<String>> {
        self.flow.sign_in_providers().await
    }

    /// Starts creating an account; the code goes to the phone.
    pub async fn sign_up(&self, request: SignUp<'_>) -> Result<Step> {
        self.with_pending(|mut slot| async move {
            let result = self.flow.sign_up(&mut slot, request).await;
            (slot, result)
        })
        .await
    }

    /// Signs in with the account password.
    pub async fn sign_in(&self, request: PasswordSignIn<'_>) -> Result<Step> {
        let outcome = self
            .with_pending(|mut slot| async move {
                let result = self.flow.sign_in(&mut slot, request).await;
                (slot, result)
            })
            .await?;
        self.present(outcome).await
    }

    /// The suite session another Keyhaven app of this computer published, when it can sign this
    /// app in.
    pub async fn suite_offer(&self) -> Option<SuiteSession> {
        self.flow.suite_offer().await
    }

    /// Signs in as the suite session's account, with a device session of this app's own.
    pub async fn continue_with_suite(
        &self,
        accepted_statement_version: Option<i64>,
    ) -> Result<Step> {
        let outcome = self
            .flow
            .continue_with_suite(accepted_statement_version)
            .await?;
        self.present(outcome).await
    }

    /// Starts signing in with `provider` in the system browser: opens the loopback listener and
    /// the browser, and returns the URL (to show, and to copy when no browser opened).
    pub async fn start_browser_sign_in(&self, provider: &str) -> Result<String> {
        self.cancel_browser_sign_in();
        let started = self.flow.start_browser_sign_in(provider).await?;
        let url = started.authorize_url().to_owned();
        if let Err(err) = open::that_detached(&url) {
            eprintln!("keyhaven: cannot open the browser for sign-in: {err}");
        }
        *lock(&self.listening) = Some(Listening {
            provider: provider.to_owned(),
            started,
        });
        Ok(url)
    }

    /// Waits for the browser to come back (or Cancel, or five minutes) with its code.
    async fn browser_code(&self) -> Result<(String, BrowserCode)> {
        let Some(Listening { provider, started }) = lock(&self.listening).take() else {
            return Err(ClientError::Protocol(
                "no browser sign-in is in progress; start again".into(),
            ));
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        *lock(&self.browser_stop) = Some(stop_tx);
        let code = tokio::select! {
            code = started.wait(WAIT_LIMIT) => code,
            _ = stop_rx => Err(BrowserSignInError::Stopped.into()),
        };
        lock(&self.browser_stop).take();
        Ok((provider, code?))
    }

    /// Waits for the browser to come back, then redeems the code.
    pub async fn finish_browser_sign_in(&self) -> Result<Step> {
        let (provider, code) = self.browser_code().await?;
        let outcome = self
            .with_pending(|mut slot| async move {
                let details = RedeemDetails::default();
                let result = self
                    .flow
                    .redeem(&mut slot, &provider, code, details, false)
                    .await;
                (slot, result)
            })
            .await?;
        self.present(outcome).await
    }

    /// Redeems the browser sign-in's code again with what the service asked for.
    pub async fn continue_browser_sign_in(&self, details: RedeemDetails) -> Result<Step> {
        let outcome = self
            .with_pending(|mut slot| async move {
                let result = self.flow.continue_browser_sign_in(&mut slot, details).await;
                (slot, result)
            })
            .await?;
        self.present(outcome).await
    }

    /// Stops a browser sign-in: the listener closes and its code, if any, is forgotten.
    pub fn cancel_browser_sign_in(&self) {
        if let Some(stop) = lock(&self.browser_stop).take() {
            let _ = stop.send(());
        }
        *lock(&self.listening) = None;
        let mut pending = lock(&self.pending);
        if matches!(*pending, Some(Pending::Browser(_))) {
            *pending = None;
        }
    }

    /// Confirms the SMS code of the pending sign-up or sign-in; this device is then signed in.
    pub async fn verify(&self, code: &str) -> Result<Step> {
        let outcome = self
            .with_pending(|mut slot| async move {
                let result = self.flow.verify(&mut slot, code).await;
                (slot, result)
            })
            .await?;
        self.present(outcome).await
    }

    /// Sends a new code for the pending step.
    pub async fn resend(&self) -> Result<SmsChallenge> {
        self.with_pending(|mut slot| async move {
            let result = self.flow.resend(&mut slot).await;
            (slot, result)
        })
        .await
    }

    /// Forgets a sign-up or sign-in waiting for its code (the person went back).
    pub fn cancel_pending(&self) {
        *lock(&self.pending) = None;
    }

    /// The signed-in account's details (masked phone number, 2-step verification).
    pub async fn info(&self) -> Result<AccountInfo> {
        self.flow.info(&*self.session()?).await
    }

    /// Starts changing the account's phone number; the code goes to the new number.
    pub async fn change_phone(&self, password: &str, phone: String) -> Result<SmsChallenge> {
        let session = self.session()?;
        let step = self
            .with_pending(|mut slot| async move {
                let result = self
                    .flow
                    .change_phone(&session, &mut slot, password, phone)
                    .await;
                (slot, result)
            })
            .await?;
        code_sent(step)
    }

    /// Confirms the code sent to the new phone number.
    pub async fn confirm_phone_change(&self, code: &str) -> Result<()> {
        match self.confirm_code(code).await? {
            Outcome::PhoneChanged => Ok(()),
            _ => Err(ClientError::Protocol(
                "the code confirmed something other than a phone change".into(),
            )),
        }
    }

    /// Starts giving the account (made with a provider) an account password; the code goes to
    /// the account's phone.
    pub async fn add_account_password(&self, password: &str) -> Result<SmsChallenge> {
        let session = self.session()?;
        let step = self
            .with_pending(|mut slot| async move {
                let result = self
                    .flow
                    .add_account_password(&session, &mut slot, password)
                    .await;
                (slot, result)
            })
            .await?;
        code_sent(step)
    }

    /// Confirms the code that gives the account its account password.
    pub async fn confirm_account_password(&self, code: &str) -> Result<()> {
        match self.confirm_code(code).await? {
            Outcome::PasswordAdded => Ok(()),
            _ => Err(ClientError::Protocol(
                "the code confirmed something other than the new account password".into(),
            )),
        }
    }

    async fn confirm_code(&self, code: &str) -> Result<Outcome> {
        self.with_pending(|mut slot| async move {
            let result = self.flow.verify(&mut slot, code).await;
            (slot, result)
        })
        .await
    }

    /// Replaces the account password; the account's other devices are signed out.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<PasswordChanged> {
        self.flow
            .change_password(&*self.session()?, current, new)
            .await
    }

    /// Turns 2-step verification on or off.
    pub async fn set_two_step(&self, password: &str, enabled: bool) -> Result<()> {
        self.flow
            .set_two_step(&*self.session()?, password, enabled)
            .await
    }

    /// Deletes the account; this device is signed out and keeps its vault as a local vault.
    pub async fn delete_account(
        &self,
        state: &AppState,
        password: &str,
        confirmation: &str,
    ) -> Result<()> {
        let session = self.session()?;
        self.flow
            .delete_account(&session, password, confirmation, &state.shared_vault())
            .await?;
        *lock(&self.worker) = None;
        *lock(&self.session) = None;
        self.changed();
        Ok(())
    }

    /// Connects this computer's vault to the account (creating, joining or merging into the
    /// cloud vault), opens it unlocked in the app and starts syncing.
    pub async fn connect_vault(
        &self,
        state: &AppState,
        master_password: &str,
        share_with_other_os_user: bool,
    ) -> Result<()> {
        let session = self.session()?;
        let open = state.shared_vault();
        let request = ConnectRequest {
            master_password,
            share_with_other_os_user,
            kdf: KdfParams::default(),
            local: Some(LocalVault::Open(Box::new(move || {
                open.with_vault(|v| v.items())
            }))),
        };
        let connected = self
            .flow
            .connect_vault(&session, request, || state.lock())
            .await?;
        if let Some(report) = connected.merged {
            eprintln!(
                "keyhaven: this computer's vault went into the account's: {} item(s) added, {} already there",
                report.added, report.folded
            );
        }
        state.install(connected.vault);
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
        let account_id = session.link().account_id;
        let linked = vault
            .with_vault(|v| keyhaven_client::account::link_state(v, account_id))
            .is_ok_and(|link| link == LinkState::ThisAccount);
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
        self.flow.devices(&*self.session()?).await
    }

    /// Signs one of the account's devices out.
    pub async fn revoke_device(&self, device_id: Uuid) -> Result<()> {
        self.flow.revoke_device(&*self.session()?, device_id).await
    }

    /// The account's sign-in methods.
    pub async fn sign_in_methods(&self) -> Result<SignInMethodsView> {
        self.flow.sign_in_methods(&*self.session()?).await
    }

    /// Waits for the browser sign-in started for `Add <provider>` to come back, then links that
    /// provider to the signed-in account.
    pub async fn finish_adding_sign_in_method(&self) -> Result<SignInMethodsView> {
        let session = self.session()?;
        let (_, code) = self.browser_code().await?;
        self.flow.link_sign_in_method(&session, code).await
    }

    /// Unlinks one provider from the account (never the last way to sign in).
    pub async fn remove_sign_in_method(&self, id: &str) -> Result<SignInMethodsView> {
        self.flow.remove_sign_in_method(&*self.session()?, id).await
    }

    /// Signs this device out; the vault stays here as a local vault, or is deleted.
    pub async fn sign_out(&self, state: &AppState, keep_local_copy: bool) -> Result<()> {
        *lock(&self.worker) = None;
        let session = lock(&self.session).clone();
        let signed_out = self
            .flow
            .sign_out(
                session.as_deref(),
                keep_local_copy,
                &state.shared_vault(),
                || state.lock(),
            )
            .await;
        if let Err(err) = signed_out {
            // Nothing changed (changes wait to be sent, say): syncing goes on.
            self.start_syncing(state);
            return Err(err);
        }
        *lock(&self.session) = None;
        self.changed();
        Ok(())
    }
}
