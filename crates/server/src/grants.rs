//! Device sessions: creating a device with its first tokens, rotating refresh tokens, revoking.

use keyhaven_protocol::devices::DeviceInfo;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::secret::Secret;
use keyhaven_protocol::sessions::{SessionGrant, TokenPair};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::clock::ms;
use crate::error::{ApiError, ApiResult};
use crate::secrets::{new_token, token_hash};
use crate::state::AppState;
use crate::store::accounts::AccountRow;
use crate::store::{devices, tokens};

/// Signs a new device in: creates it and its first token pair.
pub async fn sign_in_device(
    state: &AppState,
    db: &mut AnyConnection,
    account: &AccountRow,
    device: &DeviceInfo,
) -> ApiResult<SessionGrant> {
    let now = state.now();
    let device_id = Uuid::new_v4();
    let other_os_user_connected = devices::other_os_user_connected(
        &mut *db,
        &account.id,
        &device.machine_hash,
        &device.machine_user_hash,
    )
    .await?;
    devices::insert(
        &mut *db,
        devices::NewDevice {
            id: &device_id.to_string(),
            account_id: &account.id,
            name: device.name.trim(),
            platform: &device.platform,
            machine_hash: &device.machine_hash,
            machine_user_hash: &device.machine_user_hash,
            now,
        },
    )
    .await?;
    let tokens = issue_tokens(state, db, &account.id, &device_id.to_string()).await?;
    Ok(SessionGrant {
        account_id: Uuid::parse_str(&account.id).map_err(ApiError::internal)?,
        email: account.email.clone(),
        device_id,
        tokens,
        other_os_user_connected,
    })
}

/// Trades a refresh token for a new pair. A token that was rotated already means it leaked or
/// was copied: the device is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<TokenPair> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    match tokens::rotate_refresh(&mut tx, &token_hash(refresh_token.trim()), now).await? {
        tokens::RefreshUse::Rotated(owner) => {
            devices::touch(&mut *tx, &owner.device_id, now).await?;
            let pair = issue_tokens(state, &mut tx, &owner.account_id, &owner.device_id).await?;
            tx.commit().await?;
            Ok(pair)
        }
        tokens::RefreshUse::Reused {
            device_id,
            account_id,
        } => {
            revoke(state, &mut tx, &account_id, &device_id).await?;
            tx.commit().await?;
            tracing::warn!(%device_id, "a rotated refresh token came back; device revoked");
            Err(ApiError::new(
                ErrorCode::RefreshTokenReused,
                "This device's session was used twice and has been signed out. Sign in again.",
            ))
        }
        tokens::RefreshUse::Invalid => Err(ApiError::new(
            ErrorCode::InvalidRefreshToken,
            "The session has ended. Sign in again.",
        )),
    }
}

/// Revokes a device of the account and deletes its tokens; false when there is no such device.
pub async fn revoke(
    state: &AppState,
    db: &mut AnyConnection,
    account_id: &str,
    device_id: &str,
) -> ApiResult<bool> {
    let revoked = devices::mark_revoked(&mut *db, account_id, device_id, state.now()).await?;
    if revoked {
        tokens::delete_for_device(db, device_id).await?;
    }
    Ok(revoked)
}

async fn issue_tokens(
    state: &AppState,
    db: &mut AnyConnection,
    account_id: &str,
    device_id: &str,
) -> ApiResult<TokenPair> {
    let now = state.now();
    let sessions = &state.config.sessions;
    let access = new_token();
    let refresh = new_token();
    let owner = |lifetime: u64| tokens::TokenOwner {
        device_id: device_id.to_owned(),
        account_id: account_id.to_owned(),
        expires_at: now + ms(lifetime),
    };
    let kinds = [
        (
            tokens::TokenKind::Access,
            &access,
            sessions.access_token_seconds,
        ),
        (
            tokens::TokenKind::Refresh,
            &refresh,
            sessions.refresh_token_seconds,
        ),
    ];
    for (kind, token, lifetime) in kinds {
        tokens::insert(&mut *db, kind, &token_hash(token), &owner(lifetime)).await?;
    }
    Ok(TokenPair {
        access_token: Secret::new(access.as_str()),
        access_expires_in_seconds: sessions.access_token_seconds,
        refresh_token: Secret::new(refresh.as_str()),
        refresh_expires_in_seconds: sessions.refresh_token_seconds,
    })
}
