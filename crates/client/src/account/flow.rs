//! [`AccountFlow`]: signing up and in, the SMS code, browser and suite sign-in.

use keyhaven_protocol::accounts::{clean_sms_code, CreateAccount, SmsChallenge};
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{ChallengeOutcome, SignIn, SignInOutcome};
use keyhaven_protocol::statement::Statement;

use super::pending::{CodePurpose, Pending, PendingBrowser, PendingCode};
use super::steps::{Outcome, SignedIn, Step};
use super::{DataDir, Program};
use crate::browser_sign_in::{BrowserCode, BrowserSignIn, RedeemDetails, PROVIDERS};
use crate::device::this_device;
use crate::error::ClientError;
use crate::session::{AccountLink, Session, SessionStore};
use crate::suite::{self, SuiteSession};
use crate::ApiClient;

type Result<T> = std::result::Result<T, ClientError>;

/// The account steps of one program for one vault. It keeps no step state: what a step
/// continues is the `pending` slot each call takes, which the program keeps.
#[derive(Debug, Clone)]
pub struct AccountFlow {
    files: DataDir,
    program: Program,
    service_url: String,
    store: SessionStore,
}

/// Creating an account with email and account password.
pub struct SignUp<'a> {
    pub email: String,
    pub password: &'a str,
    /// As typed; spaces and dashes are dropped.
    pub phone: String,
    pub accepted_statement_version: i64,
}

/// Signing in with email and account password.
pub struct PasswordSignIn<'a> {
    pub email: String,
    pub password: &'a str,
    /// The newer statement's version, once the person accepted it.
    pub accepted_statement_version: Option<i64>,
    /// Publish the suite session once signed in.
    pub share_with_apps: bool,
}

impl AccountFlow {
    /// The steps of `program` for the vault in `files`, signing in to `service_url`.
    pub fn new(files: DataDir, program: Program, service_url: String) -> Self {
        let store = SessionStore::new(files.session_link(program), program.name());
        Self {
            files,
            program,
            service_url,
            store,
        }
    }

    pub fn files(&self) -> &DataDir {
        &self.files
    }

    pub fn program(&self) -> Program {
        self.program
    }

    /// The service new sign-ins go to.
    pub fn service_url(&self) -> &str {
        &self.service_url
    }

    /// Where this program's session is kept.
    pub fn store(&self) -> &SessionStore {
        &self.store
    }

    /// Who this program is signed in as, from the link file (the service is not asked).
    pub fn link(&self) -> Result<Option<AccountLink>> {
        self.store.link()
    }

    /// The stored session, if this program is signed in.
    pub fn resume(&self) -> Result<Option<Session>> {
        Session::resume(self.store.clone())
    }

    fn api(&self) -> Result<ApiClient> {
        ApiClient::new(&self.service_url)
    }

    /// The Web-Portal Statement in force.
    pub async fn statement(&self) -> Result<Statement> {
        self.api()?.statement().await
    }

    /// The providers the service signs people in with, in the order the programs show them.
    pub async fn sign_in_providers(&self) -> Result<Vec<String>> {
        let configured = self.api()?.social_providers().await?.providers;
        Ok(PROVIDERS
            .iter()
            .filter(|p| configured.iter().any(|c| c == *p))
            .map(|p| (*p).to_owned())
            .collect())
    }

    /// Starts creating an account: the code goes to the phone, and `pending` waits for it. A
    /// sign-up already waiting here may correct its number (only this screen knows its challenge).
    pub async fn sign_up(
        &self,
        pending: &mut Option<Pending>,
        request: SignUp<'_>,
    ) -> Result<Step> {
        let replaces_challenge_id = match pending {
            Some(Pending::Code(code)) if code.purpose == CodePurpose::SignUp => {
                Some(code.challenge.challenge_id.clone())
            }
            _ => None,
        };
        let challenge = self
            .api()?
            .create_account(&CreateAccount {
                email: request.email.clone(),
                password: request.password.into(),
                phone: request.phone,
                accepted_statement_version: request.accepted_statement_version,
                device: this_device(self.program.platform()),
                replaces_challenge_id,
            })
            .await?;
        Ok(self.wait_for_code(
            pending,
            &self.service_url,
            request.email,
            challenge,
            CodePurpose::SignUp,
            false,
        ))
    }

    /// Signs in with the account password: signed in, or the SMS code is sent, or a newer
    /// statement needs accepting first.
    pub async fn sign_in(
        &self,
        pending: &mut Option<Pending>,
        request: PasswordSignIn<'_>,
    ) -> Result<Outcome> {
        let api = self.api()?;
        let answer = api
            .sign_in(&SignIn {
                email: request.email.clone(),
                password: request.password.into(),
                device: this_device(self.program.platform()),
                accepted_statement_version: request.accepted_statement_version,
            })
            .await;
        let outcome = match answer {
            Ok(outcome) => outcome,
            Err(err) => {
                return match statement_needed(&err) {
                    Some(version) => Ok(Outcome::Step(Step::AcceptStatement { version })),
                    None => Err(err),
                }
            }
        };
        let service_url = self.service_url.clone();
        self.signed_in_or_code_sent(
            pending,
            api,
            &service_url,
            request.email,
            outcome,
            request.share_with_apps,
        )
        .await
    }

    /// Starts signing in with `provider` in the system browser: the loopback listener is open;
    /// open [`BrowserSignIn::authorize_url`], wait for it, then [`AccountFlow::redeem`].
    pub async fn start_browser_sign_in(&self, provider: &str) -> Result<BrowserSignIn> {
        if !PROVIDERS.contains(&provider) {
            return Err(ClientError::Protocol(format!(
                "unknown provider {provider}"
            )));
        }
        BrowserSignIn::start(&self.service_url, self.program.client_id(), provider).await
    }

    /// Redeems the code the browser brought back, with what the person gave so far.
    pub async fn redeem(
        &self,
        pending: &mut Option<Pending>,
        provider: &str,
        code: BrowserCode,
        details: RedeemDetails,
        share_with_apps: bool,
    ) -> Result<Outcome> {
        *pending = Some(Pending::Browser(PendingBrowser {
            service_url: self.service_url.clone(),
            provider: provider.to_owned(),
            code,
            share_with_apps,
        }));
        self.continue_browser_sign_in(pending, details).await
    }

    /// Redeems the pending browser code again with what the service asked for: the accepted
    /// statement and a phone number (new account), or the account password (linking). While
    /// the service keeps the code (it asks for more, or a password or number was wrong), it stays
    /// pending; any other answer ends it.
    pub async fn continue_browser_sign_in(
        &self,
        pending: &mut Option<Pending>,
        details: RedeemDetails,
    ) -> Result<Outcome> {
        let Some(Pending::Browser(browser)) = pending.take() else {
            return Err(ClientError::Protocol(
                "no browser sign-in is in progress; start again".into(),
            ));
        };
        let api = ApiClient::new(&browser.service_url)?;
        let err = match browser
            .code
            .redeem(&api, self.program.platform(), details)
            .await
        {
            Ok(outcome) => {
                let who = format!("your {} sign-in", browser.provider);
                return self
                    .signed_in_or_code_sent(
                        pending,
                        api,
                        &browser.service_url,
                        who,
                        outcome,
                        browser.share_with_apps,
                    )
                    .await;
            }
            Err(err) => err,
        };
        let step = match (&err, err.code()) {
            (
                ClientError::Service {
                    statement_version, ..
                },
                Some(ErrorCode::SignUpRequired),
            ) => Some(Step::SignUpWithProvider {
                statement_version: *statement_version,
            }),
            (_, Some(ErrorCode::LinkRequired)) => Some(Step::LinkWithPassword),
            _ => statement_needed(&err).map(|version| Step::AcceptStatement { version }),
        };
        let code_kept = step.is_some()
            || matches!(
                err.code(),
                Some(ErrorCode::InvalidCredentials | ErrorCode::InvalidPhone)
            );
        if code_kept {
            *pending = Some(Pending::Browser(browser));
        }
        match step {
            Some(step) => Ok(Outcome::Step(step)),
            None => Err(err),
        }
    }

    /// The suite session another Keyhaven app of this computer published, when it can sign this
    /// program in to the service it uses: not while signed in, and not when it was withdrawn,
    /// expired, its device signed out, or the service cannot be asked.
    pub async fn suite_offer(&self) -> Option<SuiteSession> {
        let suite = self.suite_for_this_service()?;
        match suite::still_valid(&suite).await {
            Ok(true) => Some(suite),
            _ => None,
        }
    }

    fn suite_for_this_service(&self) -> Option<SuiteSession> {
        if self.link().ok().flatten().is_some() {
            return None;
        }
        let suite = suite::discover().ok().flatten()?;
        let same_service =
            suite.service_url.trim_end_matches('/') == self.service_url.trim_end_matches('/');
        same_service.then_some(suite)
    }

    /// Signs in as the suite session's account, with a device session of this program's own.
    pub async fn continue_with_suite(
        &self,
        accepted_statement_version: Option<i64>,
    ) -> Result<Outcome> {
        let suite = self.suite_for_this_service().ok_or(ClientError::Service {
            code: ErrorCode::SuiteSessionInvalid,
            message: "The other Keyhaven app's sign-in has ended. Sign in another way.".into(),
            status: 401,
            retry_after_seconds: None,
            tries_left: None,
            statement_version: None,
        })?;
        match suite::sign_in(
            &suite,
            self.program.platform(),
            self.store.clone(),
            accepted_statement_version,
        )
        .await
        {
            Ok(session) => Ok(Outcome::SignedIn(Box::new(SignedIn {
                session,
                shared_with_apps: None,
            }))),
            Err(err) => match statement_needed(&err) {
                Some(version) => Ok(Outcome::Step(Step::AcceptStatement { version })),
                None => Err(err),
            },
        }
    }

    /// Confirms the pending SMS code: signed in, or the phone changed. A wrong code keeps it
    /// pending (the service counts the tries).
    pub async fn verify(&self, pending: &mut Option<Pending>, code: &str) -> Result<Outcome> {
        let waiting = self.pending_code(pending)?;
        let api = ApiClient::new(&waiting.service_url)?;
        let confirmed = api
            .verify(&waiting.challenge.challenge_id, &clean_sms_code(code))
            .await?;
        let outcome = match (confirmed, waiting.purpose) {
            (ChallengeOutcome::SignedIn(grant), CodePurpose::SignIn | CodePurpose::SignUp) => {
                *pending = None;
                let session = self.establish(api, &waiting.service_url, grant).await?;
                let shared_with_apps = self.share(&session, waiting.share_with_apps).await;
                Outcome::SignedIn(Box::new(SignedIn {
                    session,
                    shared_with_apps,
                }))
            }
            (ChallengeOutcome::PhoneChanged, CodePurpose::PhoneChange) => {
                *pending = None;
                Outcome::PhoneChanged
            }
            (ChallengeOutcome::PasswordAdded, CodePurpose::AddPassword) => {
                *pending = None;
                Outcome::PasswordAdded
            }
            _ => {
                *pending = None;
                return Err(ClientError::Protocol(
                    "the code confirmed something other than what it was sent for".into(),
                ));
            }
        };
        Ok(outcome)
    }

    /// Sends a new code for the pending step (once the cooldown has passed).
    pub async fn resend(&self, pending: &mut Option<Pending>) -> Result<SmsChallenge> {
        let waiting = self.pending_code(pending)?;
        let challenge = ApiClient::new(&waiting.service_url)?
            .resend(&waiting.challenge.challenge_id)
            .await?;
        if let Some(Pending::Code(code)) = pending.as_mut() {
            code.challenge = challenge.clone();
        }
        Ok(challenge)
    }

    fn pending_code(&self, pending: &Option<Pending>) -> Result<PendingCode> {
        match pending {
            Some(Pending::Code(code)) => Ok(code.clone()),
            _ => Err(ClientError::Protocol(
                "no sign-in is waiting for a code; start again".into(),
            )),
        }
    }

    pub(super) fn wait_for_code(
        &self,
        pending: &mut Option<Pending>,
        service_url: &str,
        who: String,
        challenge: SmsChallenge,
        purpose: CodePurpose,
        share_with_apps: bool,
    ) -> Step {
        *pending = Some(Pending::Code(PendingCode {
            service_url: service_url.to_owned(),
            who,
            challenge: challenge.clone(),
            purpose,
            share_with_apps,
        }));
        Step::EnterCode {
            code_sent: challenge,
        }
    }

    async fn signed_in_or_code_sent(
        &self,
        pending: &mut Option<Pending>,
        api: ApiClient,
        service_url: &str,
        who: String,
        outcome: SignInOutcome,
        share_with_apps: bool,
    ) -> Result<Outcome> {
        match outcome {
            SignInOutcome::SmsRequired(challenge) => Ok(Outcome::Step(self.wait_for_code(
                pending,
                service_url,
                who,
                challenge,
                CodePurpose::SignIn,
                share_with_apps,
            ))),
            SignInOutcome::SignedIn(grant) => {
                *pending = None;
                let session = self.establish(api, service_url, grant).await?;
                let shared_with_apps = self.share(&session, share_with_apps).await;
                Ok(Outcome::SignedIn(Box::new(SignedIn {
                    session,
                    shared_with_apps,
                })))
            }
        }
    }

    /// Keeps the new session. A session this program had before is signed out at the service
    /// first, so that signing in again does not leave a device behind on the account.
    async fn establish(
        &self,
        api: ApiClient,
        service_url: &str,
        grant: keyhaven_protocol::sessions::SessionGrant,
    ) -> Result<Session> {
        if let Ok(Some(previous)) = self.resume() {
            if previous.link().device_id != grant.device_id {
                if let Err(err) = previous.sign_out().await {
                    tracing::warn!(
                        code = err.code_str(),
                        "the previous session was not signed out"
                    );
                }
            }
        }
        Session::establish(api, service_url, grant, self.store.clone())
    }

    async fn share(&self, session: &Session, asked: bool) -> Option<Result<()>> {
        if !asked {
            return None;
        }
        Some(suite::publish(session, self.program.name()).await)
    }
}

/// The statement version a refusal asks the person to accept, if that is what it is.
fn statement_needed(err: &ClientError) -> Option<i64> {
    match err {
        ClientError::Service {
            code: ErrorCode::StatementAcceptanceRequired,
            statement_version: Some(version),
            ..
        } => Some(*version),
        _ => None,
    }
}
