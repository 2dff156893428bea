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
    // The write comes first: on SQLite a transaction that reads first cannot wait for another
    // writer when it then writes, and fails as locked. The new device has this OS user's hash,
    // so it does not count among the other OS users below.
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
    let other_os_user_connected = devices::other_os_user_connected(
        &mut *db,
        &account.id,
        &device.machine_hash,
        &device.machine_user_hash,
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

/// Trades a refresh token for a new pair. The rotated token stays good for a short grace
/// period (RFC 9700 §4.14), in which presenting it again answers with the same new pair, so a
/// client interrupted before it stored the pair, or refreshing twice at once, stays signed in.
/// Presented again after that, or once its successor was used, it means the token leaked or was
/// copied: the device is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<TokenPair> {
    let now = state.now();
    crate::validate::secret_input(
        refresh_token,
        keyhaven_protocol::limits::TOKEN_MAX_CHARS,
        "refresh token",
    )?;
    let presented = refresh_token.trim();
    let fresh = new_pair(state);
    let sealed = successor::seal(presented, &fresh)?;
    let mut tx = state.db.begin().await?;
    match tokens::rotate_refresh(&mut tx, &token_hash(presented), now, &sealed).await? {
        tokens::RefreshUse::Rotated(owner) => {
            devices::touch(&mut *tx, &owner.device_id, now).await?;
            store_pair(state, &mut tx, &owner.account_id, &owner.device_id, &fresh).await?;
            tx.commit().await?;
            Ok(fresh.pair)
        }
        tokens::RefreshUse::Reused(rotated) => {
            let grace = ms(state.config.sessions.refresh_grace_seconds);
            if now <= rotated.rotated_at + grace {
                if let Some(pair) = rotated
                    .successor
                    .as_deref()
                    .and_then(|sealed| successor::open(presented, sealed))
                {
                    let live = tokens::refresh_is_live(
                        &mut *tx,
                        &token_hash(pair.refresh_token.expose()),
                        now,
                    )
                    .await?;
                    if live {
                        tx.commit().await?;
                        return Ok(pair);
                    }
                }
            }
            revoke(state, &mut tx, &rotated.account_id, &rotated.device_id).await?;
            tx.commit().await?;
            tracing::warn!(device_id = %rotated.device_id, "a rotated refresh token came back; device revoked");
            Err(ApiError::new(
                ErrorCode::RefreshTokenReused,
                "This device's session was used twice and has been signed out. Sign in again.",
            ))
        }
        tokens::RefreshUse::Invalid => Err(invalid_refresh_token()),
    }
}

fn invalid_refresh_token() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRefreshToken,
        "The session has ended. Sign in again.",
    )
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
    let fresh = new_pair(state);
    store_pair(state, db, account_id, device_id, &fresh).await?;
    Ok(fresh.pair)
}

/// A pair not stored yet.
struct NewPair {
    pair: TokenPair,
}

fn new_pair(state: &AppState) -> NewPair {
    let sessions = &state.config.sessions;
    NewPair {
        pair: TokenPair {
            access_token: Secret::new(new_token().as_str()),
            access_expires_in_seconds: sessions.access_token_seconds,
            refresh_token: Secret::new(new_token().as_str()),
            refresh_expires_in_seconds: sessions.refresh_token_seconds,
        },
    }
}

async fn store_pair(
    state: &AppState,
    db: &mut AnyConnection,
    account_id: &str,
    device_id: &str,
    fresh: &NewPair,
) -> ApiResult<()> {
    let now = state.now();
    let sessions = &state.config.sessions;
    let owner = |lifetime: u64| tokens::TokenOwner {
        device_id: device_id.to_owned(),
        account_id: account_id.to_owned(),
        expires_at: now + ms(lifetime),
    };
    let kinds = [
        (
            tokens::TokenKind::Access,
            &fresh.pair.access_token,
            sessions.access_token_seconds,
        ),
        (
            tokens::TokenKind::Refresh,
            &fresh.pair.refresh_token,
            sessions.refresh_token_seconds,
        ),
    ];
    for (kind, token, lifetime) in kinds {
        tokens::insert(
            &mut *db,
            kind,
            &token_hash(token.expose()),
            &owner(lifetime),
        )
        .await?;
    }
    Ok(())
}

/// A rotated token's successor pair, sealed (AES-256-GCM) under a key derived from the rotated
/// token itself. The service keeps only that token's hash, so neither it nor a dump of its
/// database can open the pair; only the client presenting the rotated token again can.
mod successor {
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    use base64::Engine;
    use keyhaven_protocol::sessions::TokenPair;
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
    use ring::rand::{SecureRandom, SystemRandom};
    use sha2::{Digest, Sha256};
    use zeroize::Zeroizing;

    use crate::error::{ApiError, ApiResult};

    const CONTEXT: &[u8] = b"keyhaven/refresh-successor/v1";

    fn key(rotated: &str) -> Option<LessSafeKey> {
        let digest: Zeroizing<[u8; 32]> = Zeroizing::new(
            Sha256::new()
                .chain_update(CONTEXT)
                .chain_update(rotated.as_bytes())
                .finalize()
                .into(),
        );
        UnboundKey::new(&AES_256_GCM, digest.as_ref())
            .ok()
            .map(LessSafeKey::new)
    }

    /// `nonce ‖ ciphertext ‖ tag`, base64.
    pub fn seal(rotated: &str, fresh: &super::NewPair) -> ApiResult<String> {
        let key = key(rotated).ok_or_else(|| ApiError::internal("successor key"))?;
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| ApiError::internal("no randomness for the successor nonce"))?;
        let mut data = Zeroizing::new(serde_json::to_vec(&fresh.pair).map_err(ApiError::internal)?);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(CONTEXT),
            &mut *data,
        )
        .map_err(|_| ApiError::internal("successor sealing"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(STANDARD_NO_PAD.encode(out))
    }

    /// The pair, when `sealed` opens under the key of `rotated`.
    pub fn open(rotated: &str, sealed: &str) -> Option<TokenPair> {
        let bytes = STANDARD_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = Zeroizing::new(rest.to_vec());
        let plain = key(rotated)?
            .open_in_place(nonce, Aad::from(CONTEXT), &mut data)
            .ok()?;
        serde_json::from_slice(plain).ok()
    }
}
