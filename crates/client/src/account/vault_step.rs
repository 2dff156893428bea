//! After signing in: putting the account's vault on this computer ([`AccountFlow::connect_plan`],
//! [`AccountFlow::connect_vault`]), and signing out ([`AccountFlow::sign_out`]).

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::Item;
use keyhaven_vault::paths::remove_vault_files;
use keyhaven_vault::{Vault, VaultError};
use uuid::Uuid;

use super::add_local_vault::{local_vault_needs_merge, merge_into_cloud_vault, MergeReport};
use super::steps::{ConnectPlan, VaultStep};
use super::AccountFlow;
use crate::connect::{attach_vault, cloud_vault};
use crate::error::ClientError;
use crate::session::Session;
use crate::suite;
use crate::sync::VaultAccess;

type Result<T> = std::result::Result<T, ClientError>;

/// Whose vault a vault file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Linked to the account in question: it syncs with it.
    ThisAccount,
    /// Linked to another account.
    OtherAccount,
    /// A local vault.
    NotLinked,
}

/// Whose vault `vault` is, as seen from the account `account_id`.
pub fn link_state(vault: &Vault, account_id: Uuid) -> keyhaven_vault::Result<LinkState> {
    Ok(match vault.sync_link()? {
        None => LinkState::NotLinked,
        Some(link) if Uuid::parse_str(&link.account_id).ok() == Some(account_id) => {
            LinkState::ThisAccount
        }
        Some(_) => LinkState::OtherAccount,
    })
}

/// For a program that holds no vault open (the CLI): every step opens the file itself.
pub struct NoOpenVault;

impl VaultAccess for NoOpenVault {
    fn with_vault<T>(
        &self,
        _: impl FnOnce(&mut Vault) -> keyhaven_vault::Result<T>,
    ) -> keyhaven_vault::Result<T> {
        Err(VaultError::Locked)
    }
}

/// This computer's vault, when its items go into the account's ([`VaultStep::MergeLocalVault`]).
pub enum LocalVault<'a> {
    /// The program holds it open and unlocked: reads its items (only when they are needed).
    Open(Box<dyn FnOnce() -> keyhaven_vault::Result<Vec<Item>> + Send + 'a>),
    /// Its master password: the step opens it.
    MasterPassword(&'a str),
}

/// Connecting: the master password the plan asked for, and the person's answers.
pub struct ConnectRequest<'a> {
    pub master_password: &'a str,
    /// The person agreed to share every password with another OS user of this computer.
    pub share_with_other_os_user: bool,
    /// Key derivation for a vault created now.
    pub kdf: KdfParams,
    /// For [`VaultStep::MergeLocalVault`].
    pub local: Option<LocalVault<'a>>,
}

/// The connected vault, unlocked, and what adding this computer's vault did.
pub struct Connected {
    pub vault: Vault,
    pub merged: Option<MergeReport>,
}

impl AccountFlow {
    /// What connecting will do: whether the account has a cloud vault, and whether this
    /// computer's vault is another one whose items go into it. One question to the service.
    pub async fn connect_plan(&self, session: &Session) -> Result<ConnectPlan> {
        let cloud = cloud_vault(session).await?;
        let local_exists = self.files().vault_exists();
        let vault_step = if local_vault_needs_merge(self.files().vault(), cloud.as_ref())? {
            VaultStep::MergeLocalVault
        } else {
            match (cloud.is_some(), local_exists) {
                (true, _) => VaultStep::UnlockAccountVault,
                (false, true) => VaultStep::UploadLocalVault,
                (false, false) => VaultStep::CreateAccountVault,
            }
        };
        Ok(ConnectPlan {
            email: session.link().email.clone(),
            vault_step,
            other_os_user_connected: session.link().other_os_user_connected,
        })
    }

    /// Connects this computer's vault to the account (creating, joining or merging into the cloud
    /// vault, as [`AccountFlow::connect_plan`] says) and returns it unlocked. `close_local` is
    /// called when this computer's vault must be closed (it is replaced by the account's).
    pub async fn connect_vault(
        &self,
        session: &Session,
        request: ConnectRequest<'_>,
        close_local: impl FnOnce(),
    ) -> Result<Connected> {
        let plan = self.connect_plan(session).await?;
        let path = self.files().vault();
        if plan.vault_step != VaultStep::MergeLocalVault {
            let vault = attach_vault(
                session,
                path,
                request.master_password,
                request.kdf,
                request.share_with_other_os_user,
            )
            .await?;
            return Ok(Connected {
                vault,
                merged: None,
            });
        }
        let (items, opened) = match request.local {
            Some(LocalVault::Open(read_items)) => (read_items()?, None),
            Some(LocalVault::MasterPassword(master)) => {
                let mut local = self.files().open_vault()?;
                local.unlock(master.as_bytes())?;
                (local.items()?, Some(local))
            }
            None => {
                return Err(ClientError::Vault(VaultError::Locked));
            }
        };
        let (vault, report) = merge_into_cloud_vault(
            session,
            path,
            &items,
            request.master_password,
            request.share_with_other_os_user,
            move || {
                drop(opened);
                close_local();
            },
        )
        .await?;
        Ok(Connected {
            vault,
            merged: Some(report),
        })
    }

    /// Signs this program out: at the service when it can be reached (and the suite session it
    /// shared is withdrawn), and here. The vault stays as a local vault, or, when
    /// `keep_local_copy` is false, is deleted, but only if every change reached the account.
    /// `open` is the vault the program holds open, if any; `close` closes it before deletion.
    pub async fn sign_out(
        &self,
        session: Option<&Session>,
        keep_local_copy: bool,
        open: &impl VaultAccess,
        close: impl FnOnce(),
    ) -> Result<()> {
        let exists = self.files().vault_exists();
        if !keep_local_copy && exists {
            let unsynced = match open.with_vault(|v| v.pending_count()) {
                Ok(n) => n,
                Err(VaultError::Locked) => self.files().open_vault()?.pending_count()?,
                Err(err) => return Err(err.into()),
            };
            if unsynced > 0 {
                return Err(ClientError::UnsyncedChanges(unsynced));
            }
        }
        match session {
            Some(session) => {
                if let Err(err) = suite::withdraw(session, self.program().name()).await {
                    tracing::warn!(
                        code = err.code_str(),
                        "the suite session was not withdrawn at the service"
                    );
                }
                session.sign_out().await?;
            }
            None => self.store().forget()?,
        }
        if !exists {
            return Ok(());
        }
        if keep_local_copy {
            match open.with_vault(|v| v.unlink_account()) {
                Ok(()) => {}
                Err(VaultError::Locked) => self.files().open_vault()?.unlink_account()?,
                Err(err) => return Err(err.into()),
            }
        } else {
            close();
            remove_vault_files(self.files().vault())?;
        }
        Ok(())
    }
}
