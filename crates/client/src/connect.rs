//! Connecting this device's vault to the account's cloud vault once signed in: the first device
//! of an account uploads its vault's key material (never the key), every further device builds
//! the same vault from it and unlocks it with the same master password.

use std::path::Path;

use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::vault::{self as wire, CreateVault, VaultInfo};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::generator::check_master_password;
use keyhaven_vault::paths::remove_vault_files;
use keyhaven_vault::{KeyMaterial, Vault};

use crate::error::ClientError;
use crate::session::Session;

type Result<T> = std::result::Result<T, ClientError>;

/// The account's cloud vault, if it has one.
pub async fn cloud_vault(session: &Session) -> Result<Option<VaultInfo>> {
    match session
        .authed(|api, token| async move { api.vault(&token).await })
        .await
    {
        Ok(info) => Ok(Some(info)),
        Err(err) if err.code() == Some(ErrorCode::VaultNotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Connects the vault file at `path` to the signed-in account and returns it unlocked:
/// - the account has a vault and there is no local one: the local vault is built from the
///   account's key material (a wrong master password writes nothing);
/// - the account has a vault and the local one is the same vault: it is unlocked;
/// - the account has no vault: the local vault (created with `kdf` if there is none) is
///   uploaded — its key material only; the items follow with the first sync.
///
/// A local vault that is another vault than the account's is refused ([`ClientError::VaultDiffers`]).
/// Every step can be repeated after an interruption.
/// When another OS user of this computer is connected to the account, nothing happens unless
/// `share_with_other_os_user` says the person confirmed that they would share every password
/// ([`ClientError::SharedAccountUnconfirmed`]).
pub async fn attach_vault(
    session: &Session,
    path: &Path,
    master_password: &str,
    kdf: KdfParams,
    share_with_other_os_user: bool,
) -> Result<Vault> {
    check_sharing(session, share_with_other_os_user)?;
    let local_exists = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    let mut vault = match cloud_vault(session).await? {
        Some(info) => join_cloud_vault(path, master_password, &info, local_exists)?,
        None if local_exists => {
            let mut vault = Vault::open(path)?;
            vault.unlock(master_password.as_bytes())?;
            match upload(session, &mut vault).await {
                Ok(()) => vault,
                Err(err) if err.code() == Some(ErrorCode::VaultExists) => {
                    drop(vault);
                    let info = cloud_vault(session).await?.ok_or_else(|| {
                        ClientError::Protocol("the account's vault vanished".into())
                    })?;
                    join_cloud_vault(path, master_password, &info, true)?
                }
                Err(err) => return Err(err),
            }
        }
        None => {
            check_master_password(master_password, &[session.link().email.as_str()])?;
            let mut vault = Vault::create(path, master_password.as_bytes(), kdf)?;
            match upload(session, &mut vault).await {
                Ok(()) => vault,
                Err(err) => {
                    // The file is new and empty: removing it loses nothing and lets the person
                    // retry (or join the vault another device created meanwhile).
                    drop(vault);
                    remove_vault_files(path)?;
                    if err.code() != Some(ErrorCode::VaultExists) {
                        return Err(err);
                    }
                    let info = cloud_vault(session).await?.ok_or_else(|| {
                        ClientError::Protocol("the account's vault vanished".into())
                    })?;
                    join_cloud_vault(path, master_password, &info, false)?
                }
            }
        }
    };
    vault.link_account(&session.link().account_id.to_string())?;
    Ok(vault)
}

/// Refuses to put the account's vault on this computer when another OS user of it uses the
/// account and the person did not confirm sharing every password with them.
pub(crate) fn check_sharing(session: &Session, share_with_other_os_user: bool) -> Result<()> {
    if session.link().other_os_user_connected && !share_with_other_os_user {
        return Err(ClientError::SharedAccountUnconfirmed);
    }
    Ok(())
}

/// Key material as the vault core holds it, from its wire form.
pub fn key_material(material: &wire::KeyMaterial) -> KeyMaterial {
    KeyMaterial {
        vault_id: material.vault_id,
        kdf: KdfParams {
            memory_kib: material.kdf.memory_kib,
            iterations: material.kdf.iterations,
            parallelism: material.kdf.parallelism,
        },
        salt: material.salt.0.clone(),
        wrapped_vault_key: material.wrapped_vault_key.0.clone(),
        key_check: material.key_check.as_ref().map(|check| check.0.clone()),
    }
}

/// Key material in its wire form.
pub fn wire_key_material(material: &KeyMaterial) -> wire::KeyMaterial {
    wire::KeyMaterial {
        vault_id: material.vault_id,
        wrapped_vault_key: Bytes::from(material.wrapped_vault_key.clone()),
        salt: Bytes::from(material.salt.clone()),
        kdf: wire::KdfParams {
            memory_kib: material.kdf.memory_kib,
            iterations: material.kdf.iterations,
            parallelism: material.kdf.parallelism,
        },
        key_check: material.key_check.clone().map(Bytes::from),
    }
}

/// The account's vault at `path`: built from its key material, or, when `local_exists`, the
/// file there (which must be that vault) unlocked. A wrong master password writes nothing.
pub(crate) fn join_cloud_vault(
    path: &Path,
    master_password: &str,
    info: &VaultInfo,
    local_exists: bool,
) -> Result<Vault> {
    let material = key_material(&info.key_material);
    if !local_exists {
        return Ok(Vault::create_from_key_material(
            path,
            master_password.as_bytes(),
            &material,
        )?);
    }
    let mut vault = Vault::open(path)?;
    if vault.id() != material.vault_id {
        return Err(ClientError::VaultDiffers);
    }
    vault.unlock(master_password.as_bytes())?;
    Ok(vault)
}

/// Creates the account's cloud vault from this vault's key material, with the sealed state of the
/// new, empty vault, and links this vault to it.
async fn upload(session: &Session, vault: &mut Vault) -> Result<()> {
    let state = vault.first_state(&crate::device::this_device_name())?;
    let request = CreateVault {
        key_material: wire_key_material(&vault.key_material()),
        state: Some(Bytes::from(state.clone())),
        no_other_fields: Default::default(),
    };
    session
        .authed(|api, token| {
            let request = &request;
            async move { api.create_vault(&token, request).await }
        })
        .await?;
    vault.link_account(&session.link().account_id.to_string())?;
    vault.cloud_vault_created(&state)?;
    Ok(())
}
