//! The account's sign-in methods: what signs in to it (its password, its linked providers),
//! linking another provider from this signed-in program, removing one (never the last), and an
//! account password for an account made with a provider.

use keyhaven_protocol::accounts::{AddPassword, LinkedProvider, SignInMethods};

use super::pending::{CodePurpose, Pending};
use super::steps::Step;
use super::AccountFlow;
use crate::browser_sign_in::BrowserCode;
use crate::error::ClientError;
use crate::session::Session;

type Result<T> = std::result::Result<T, ClientError>;

/// The account's sign-in methods as a settings screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SignInMethodsView {
    /// Whether the account has an account password.
    pub password: bool,
    /// The linked providers, oldest first.
    pub providers: Vec<LinkedProvider>,
    /// Whether a provider may be removed: not when it is the only way to sign in.
    pub can_remove: bool,
    /// The providers the service offers, which can be linked (again, for a second identity).
    pub can_add: Vec<String>,
}

impl AccountFlow {
    /// The signed-in account's sign-in methods.
    pub async fn sign_in_methods(&self, session: &Session) -> Result<SignInMethodsView> {
        let methods = session
            .authed(|api, token| async move { api.sign_in_methods(&token).await })
            .await?;
        self.view(methods).await
    }

    /// Links the provider of a browser sign-in started with
    /// [`AccountFlow::start_browser_sign_in`] to the signed-in account, instead of signing in
    /// with it.
    pub async fn link_sign_in_method(
        &self,
        session: &Session,
        code: BrowserCode,
    ) -> Result<SignInMethodsView> {
        let code = &code;
        let methods = session
            .authed(|api, token| async move { code.link(&api, &token).await })
            .await?;
        self.view(methods).await
    }

    /// Unlinks one provider (by its [`LinkedProvider::id`]); the service refuses the last way to
    /// sign in.
    pub async fn remove_sign_in_method(
        &self,
        session: &Session,
        id: &str,
    ) -> Result<SignInMethodsView> {
        let methods = session
            .authed(|api, token| async move { api.remove_sign_in_method(&token, id).await })
            .await?;
        self.view(methods).await
    }

    /// Starts giving an account made with a provider an account password: the code goes to the
    /// account's phone, and `pending` waits for it ([`AccountFlow::verify`] ends in
    /// [`super::Outcome::PasswordAdded`]).
    pub async fn add_account_password(
        &self,
        session: &Session,
        pending: &mut Option<Pending>,
        password: &str,
    ) -> Result<Step> {
        let request = AddPassword {
            new_password: password.into(),
        };
        let challenge = session
            .authed(|api, token| {
                let request = &request;
                async move { api.add_password(&token, request).await }
            })
            .await?;
        Ok(self.wait_for_code(
            pending,
            &session.link().service_url,
            session.link().email.clone(),
            challenge,
            CodePurpose::AddPassword,
            false,
        ))
    }

    async fn view(&self, methods: SignInMethods) -> Result<SignInMethodsView> {
        Ok(SignInMethodsView {
            can_remove: methods.password || methods.providers.len() > 1,
            can_add: self.sign_in_providers().await?,
            password: methods.password,
            providers: methods.providers,
        })
    }
}
