//! The signed-in account's own settings: details, phone number, account password, 2-step
//! verification, devices, and deleting the account.

use keyhaven_protocol::accounts::{
    AccountInfo, ChangePassword, ChangePhone, DeleteAccount, SetTwoStep,
};
use keyhaven_protocol::devices::DeviceList;
use keyhaven_protocol::secret::Secret;
use uuid::Uuid;

use super::pending::{CodePurpose, Pending};
use super::steps::Step;
use super::vault_step::LinkState;
use super::AccountFlow;
use crate::error::ClientError;
use crate::session::Session;
use crate::suite;
use crate::sync::VaultAccess;

type Result<T> = std::result::Result<T, ClientError>;

/// What changing the account password did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PasswordChanged {
    /// The account's other devices that were signed out (they sign in with the new password).
    pub other_devices_signed_out: u32,
}

impl AccountFlow {
    /// The signed-in account's details (masked phone number, 2-step verification).
    pub async fn info(&self, session: &Session) -> Result<AccountInfo> {
        session
            .authed(|api, token| async move { api.account(&token).await })
            .await
    }

    /// The account's devices.
    pub async fn devices(&self, session: &Session) -> Result<DeviceList> {
        session
            .authed(|api, token| async move { api.devices(&token).await })
            .await
    }

    /// Signs one of the account's devices out.
    pub async fn revoke_device(&self, session: &Session, device_id: Uuid) -> Result<()> {
        session
            .authed(|api, token| async move { api.revoke_device(&token, device_id).await })
            .await
    }

    /// Starts changing the phone number codes go to (the account password confirms it): the
    /// code goes to the new number, and `pending` waits for it ([`AccountFlow::verify`]).
    pub async fn change_phone(
        &self,
        session: &Session,
        pending: &mut Option<Pending>,
        password: &str,
        phone: String,
    ) -> Result<Step> {
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
        let email = session.link().email.clone();
        Ok(self.wait_for_code(
            pending,
            &session.link().service_url,
            email,
            challenge,
            CodePurpose::PhoneChange,
            false,
        ))
    }

    /// Replaces the account password. The service signs every other device of the account out;
    /// this one stays signed in. The vault and its master password are not touched.
    pub async fn change_password(
        &self,
        session: &Session,
        current_password: &str,
        new_password: &str,
    ) -> Result<PasswordChanged> {
        let others = self
            .devices(session)
            .await?
            .devices
            .iter()
            .filter(|d| !d.current)
            .count();
        let request = ChangePassword {
            current_password: current_password.into(),
            new_password: new_password.into(),
        };
        session
            .authed(|api, token| {
                let request = &request;
                async move { api.change_password(&token, request).await }
            })
            .await?;
        Ok(PasswordChanged {
            other_devices_signed_out: u32::try_from(others).unwrap_or(u32::MAX),
        })
    }

    /// Turns 2-step verification (an SMS code at every sign-in) on or off.
    pub async fn set_two_step(
        &self,
        session: &Session,
        password: &str,
        enabled: bool,
    ) -> Result<()> {
        let request = SetTwoStep {
            password: password.into(),
            enabled,
        };
        session
            .authed(|api, token| {
                let request = &request;
                async move { api.set_two_step(&token, request).await }
            })
            .await
    }

    /// Deletes the account, its devices and its cloud vault, for good. `confirmation` must be the
    /// account's email, typed. This program is then signed out, and its vault stays on this
    /// computer as a local vault (`open` is the vault the program holds open, if any).
    pub async fn delete_account(
        &self,
        session: &Session,
        password: &str,
        confirmation: &str,
        open: &impl VaultAccess,
    ) -> Result<()> {
        let email = &session.link().email;
        if !confirmation.trim().eq_ignore_ascii_case(email) {
            return Err(ClientError::ConfirmationMismatch);
        }
        let request = DeleteAccount {
            password: Secret::from(password),
        };
        session
            .authed(|api, token| {
                let request = &request;
                async move { api.delete_account(&token, request).await }
            })
            .await?;
        // The account is gone: a suite session naming it can sign nobody in any more.
        if let Err(err) = suite::forget(email, None) {
            tracing::warn!(
                code = err.code_str(),
                "a suite session of the deleted account stays"
            );
        }
        self.store().forget()?;
        self.keep_as_local_vault(session, open)
    }

    /// Unlinks this computer's vault from `session`'s account, so that it is a local vault.
    fn keep_as_local_vault(&self, session: &Session, open: &impl VaultAccess) -> Result<()> {
        let account_id = session.link().account_id;
        let unlink = |vault: &mut keyhaven_vault::Vault| {
            if super::link_state(vault, account_id)? == LinkState::ThisAccount {
                vault.unlink_account()?;
            }
            Ok(())
        };
        match open.with_vault(unlink) {
            Ok(()) => Ok(()),
            Err(keyhaven_vault::VaultError::Locked) if self.files().vault_exists() => {
                unlink(&mut self.files().open_vault()?)?;
                Ok(())
            }
            Err(keyhaven_vault::VaultError::Locked) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

/// `ada@example.com` → `a***@example.com`: who a suite session would sign in as, without
/// saying it in full.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_email;

    #[test]
    fn emails_are_masked_to_their_first_letter_and_domain() {
        assert_eq!(mask_email("ada@example.com"), "a***@example.com");
        assert_eq!(mask_email("é@example.com"), "é***@example.com");
        assert_eq!(mask_email("no-at-sign"), "***");
    }
}
