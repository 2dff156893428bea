//! `/v1/vault`: the account's encrypted vault — key material and sealed state, changes since a
//! revision, pushes (all or nothing against the vault's revision when they carry a sealed state;
//! per item in the legacy protocol), key material replacement, and a server-sent-events stream of
//! new revisions. The service reads none of the blobs, states or key material it keeps.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::vault::{
    ChangeResult, ChangesPage, CreateVault, ItemChange, ItemVersion, KdfParams, KeyMaterial,
    KeyMaterialReplaced, PushChanges, PushResult, RemoteItem, ReplaceKeyMaterial, RevisionEvent,
    VaultInfo, REVISION_EVENT,
};
use serde::Deserialize;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, Json, Query};
use crate::state::{AppState, VaultEvent};
use crate::store::vault::{self, ItemRow, VaultRow};

/// Most changes one push may carry; a page of changes always holds a whole push.
pub const MAX_PUSH_ITEMS: usize = 500;
const MAX_PAGE: i64 = 1000;
/// The largest item blob.
pub const MAX_BLOB_BYTES: usize = 256 * 1024;
/// The largest wrapped vault key or salt.
pub const MAX_KEY_BYTES: usize = 1024;
/// The largest sealed vault state.
pub const MAX_STATE_BYTES: usize = 4 * 1024;
/// The size of a key check.
pub const KEY_CHECK_BYTES: usize = 16;
/// The weakest and the strongest Argon2id parameters a vault may name (clients refuse below the
/// same floor; the ceiling keeps a device from being made to spend gigabytes).
pub const KDF_MIN_MEMORY_KIB: u32 = 19 * 1024;
/// See [`KDF_MIN_MEMORY_KIB`].
pub const KDF_MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
/// See [`KDF_MIN_MEMORY_KIB`].
pub const KDF_MIN_ITERATIONS: u32 = 2;
/// See [`KDF_MIN_MEMORY_KIB`].
pub const KDF_MAX_ITERATIONS: u32 = 64;
/// See [`KDF_MIN_MEMORY_KIB`].
pub const KDF_MAX_PARALLELISM: u32 = 64;
/// How often an open event stream re-reads the revision (pushes that reached another node).
const EVENT_POLL: Duration = Duration::from_secs(10);

/// Creates the account's vault from key material the service cannot use, with the sealed state
/// of the new, empty vault.
#[utoipa::path(post, path = "/v1/vault", operation_id = "create_vault", tag = "vault", security(("bearer" = [])),
    request_body = CreateVault,
    responses((status = 201, body = VaultInfo), (status = 400, body = Problem),
              (status = 409, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<CreateVault>,
) -> ApiResult<(StatusCode, Json<VaultInfo>)> {
    check_key_material(&request.key_material)?;
    if let Some(sealed) = &request.state {
        check_state(sealed)?;
    }
    let mut row = key_row(&request.key_material);
    row.state = request.state.map(|state| state.0);
    if !vault::create(&state.db, &authed.account_id, &row, state.now()).await? {
        // The same creation again (a retry after a lost answer) finds its own vault untouched.
        let existing = vault::get(&state.db, &authed.account_id).await?;
        if let Some(existing) = existing.filter(|existing| same_new_vault(existing, &row)) {
            return Ok((StatusCode::CREATED, Json(info(existing)?)));
        }
        return Err(ApiError::new(
            ErrorCode::VaultExists,
            "This account has a vault already: unlock it with its master password.",
        ));
    }
    Ok((StatusCode::CREATED, Json(info(row)?)))
}

/// Whether `existing` is the vault `request` creates, still as it was created.
fn same_new_vault(existing: &VaultRow, request: &VaultRow) -> bool {
    existing.revision == 0
        && existing.vault_id == request.vault_id
        && existing.wrapped_vault_key == request.wrapped_vault_key
        && existing.salt == request.salt
        && (
            existing.kdf_memory_kib,
            existing.kdf_iterations,
            existing.kdf_parallelism,
        ) == (
            request.kdf_memory_kib,
            request.kdf_iterations,
            request.kdf_parallelism,
        )
        && existing.key_check == request.key_check
        && existing.state == request.state
}

/// The vault's key material, current revision and its sealed state.
#[utoipa::path(get, path = "/v1/vault", operation_id = "get_vault", tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = VaultInfo), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, authed: Authed) -> ApiResult<Json<VaultInfo>> {
    let row = vault::get(&state.db, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    Ok(Json(info(row)?))
}

/// Query of `GET /v1/vault/changes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The last revision the device has; 0 for everything.
    #[param(minimum = 0)]
    pub since: i64,
    /// Most items in the page (fewer than 500 are raised to 500, more than 1000 lowered to 1000).
    pub limit: Option<i64>,
}

/// Items changed after `since`, a page at a time; a page never splits a revision. The last page
/// carries the sealed state of its revision and the key material, all read in one snapshot.
#[utoipa::path(get, path = "/v1/vault/changes", operation_id = "list_vault_changes", tag = "vault", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 404, body = Problem)))]
pub async fn changes(
    State(state): State<AppState>,
    authed: Authed,
    Query(query): Query<ChangesQuery>,
) -> ApiResult<Json<ChangesPage>> {
    if query.since < 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "since is a revision: 0 or more.",
        ));
    }
    let mut tx = crate::db::begin_snapshot(&state.db, &state.config.database_url()).await?;
    let row = vault::get(&mut *tx, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    let revision = row.revision;
    let limit = query
        .limit
        .unwrap_or(MAX_PAGE)
        .clamp(MAX_PUSH_ITEMS as i64, MAX_PAGE);
    let mut rows = if query.since >= revision {
        Vec::new()
    } else {
        vault::changed_since(&mut *tx, &authed.account_id, query.since, limit + 1).await?
    };
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    if more {
        let cut = rows[limit as usize].revision;
        rows.retain(|row| row.revision < cut);
    }
    let next_since = if more {
        rows.last().map_or(query.since, |row| row.revision)
    } else {
        revision
    };
    let items = rows
        .into_iter()
        .map(remote)
        .collect::<ApiResult<Vec<_>>>()?;
    let (state_blob, key_material) = if more {
        (None, None)
    } else {
        (row.state.clone().map(Bytes), Some(key_material(&row)?))
    };
    Ok(Json(ChangesPage {
        revision,
        items,
        more,
        next_since,
        state: state_blob,
        key_material,
    }))
}

/// With a sealed state: applies every change at revision `base_revision + 1`, or none when the
/// vault moved past `base_revision` or an item past its own base (`vault_changed`). Without one
/// (the legacy protocol, only for a vault that has no sealed state): each change whose item is
/// still at its base revision, all at one new revision; the others come back as conflicts.
#[utoipa::path(post, path = "/v1/vault/items", operation_id = "push_vault_changes", tag = "vault", security(("bearer" = [])),
    request_body = PushChanges,
    responses((status = 200, body = PushResult), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 413, body = Problem)))]
pub async fn push(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<PushChanges>,
) -> ApiResult<Json<PushResult>> {
    check_push(&request)?;
    let result = match (&request.state, request.base_revision) {
        (Some(sealed), Some(base)) => {
            push_sealed(&state, &authed, base, sealed, &request.changes).await?
        }
        (Some(_), None) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "A push with a sealed state names the revision it is based on.",
            ))
        }
        (None, _) => push_legacy(&state, &authed, &request.changes).await?,
    };
    if result
        .results
        .iter()
        .any(|r| matches!(r, ChangeResult::Applied { .. }))
    {
        let _ = state.events.send(VaultEvent {
            account_id: authed.account_id.clone(),
            device_id: authed.device_id.clone(),
            revision: result.revision,
        });
    }
    Ok(Json(result))
}

async fn push_sealed(
    state: &AppState,
    authed: &Authed,
    base: i64,
    sealed: &Bytes,
    changes: &[ItemChange],
) -> ApiResult<PushResult> {
    check_state(sealed)?;
    let mut tx = state.db.begin().await?;
    let Some(revision) =
        vault::advance_from(&mut tx, &authed.account_id, base, sealed.as_slice()).await?
    else {
        return Err(moved_on_or_missing(state, authed).await);
    };
    let mut results = Vec::with_capacity(changes.len());
    for change in changes {
        let item_id = change.item_id.to_string();
        let current = vault::item(&mut tx, &authed.account_id, &item_id).await?;
        if current.as_ref().map_or(0, |row| row.revision) != change.base_revision {
            tx.rollback().await?;
            return Err(vault_changed());
        }
        let (Some(version), Some(blob)) = (change.version, &change.blob) else {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "With a sealed state, every change carries its version and its sealed blob (a tombstone for a deletion).",
            ));
        };
        vault::put_item(
            &mut tx,
            &authed.account_id,
            &ItemRow {
                item_id,
                revision,
                version_counter: Some(version.counter),
                version_writer: Some(version.writer.to_string()),
                blob: Some(blob.0.clone()),
            },
        )
        .await?;
        results.push(ChangeResult::Applied {
            item_id: change.item_id,
            revision,
        });
    }
    tx.commit().await?;
    Ok(PushResult { revision, results })
}

async fn push_legacy(
    state: &AppState,
    authed: &Authed,
    changes: &[ItemChange],
) -> ApiResult<PushResult> {
    let mut tx = state.db.begin().await?;
    let revision = vault::next_revision(&mut tx, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    let sealed = vault::get(&mut *tx, &authed.account_id)
        .await?
        .and_then(|row| row.state);
    if sealed.is_some() {
        tx.rollback().await?;
        return Err(ApiError::new(
            ErrorCode::VaultStateRequired,
            "This vault is protected by a newer Keyhaven: update Keyhaven on this device to sync it.",
        ));
    }
    let mut results = Vec::with_capacity(changes.len());
    let mut applied = 0usize;
    for change in changes {
        let item_id = change.item_id.to_string();
        let current = vault::item(&mut tx, &authed.account_id, &item_id).await?;
        let current_revision = current.as_ref().map_or(0, |row| row.revision);
        if current_revision == change.base_revision {
            vault::put_item(
                &mut tx,
                &authed.account_id,
                &ItemRow {
                    item_id,
                    revision,
                    version_counter: change.version.map(|v| v.counter),
                    version_writer: change.version.map(|v| v.writer.to_string()),
                    blob: change.blob.as_ref().map(|blob| blob.0.clone()),
                },
            )
            .await?;
            applied += 1;
            results.push(ChangeResult::Applied {
                item_id: change.item_id,
                revision,
            });
        } else {
            let current = match current {
                Some(row) => remote(row)?,
                None => RemoteItem {
                    item_id: change.item_id,
                    revision: 0,
                    version: None,
                    blob: None,
                    deleted: true,
                },
            };
            results.push(ChangeResult::Conflict {
                item_id: change.item_id,
                current,
            });
        }
    }
    if applied == 0 {
        // Nothing applied: undo the bump; the vault stays at the revision read under the lock.
        tx.rollback().await?;
        return Ok(PushResult {
            revision: revision - 1,
            results,
        });
    }
    tx.commit().await?;
    Ok(PushResult { revision, results })
}

/// Replaces the key material (a changed master password, or the first sealed state of a vault
/// of the legacy protocol) with the sealed state that names it, if the vault is still at
/// `base_revision`; moves the revision by one.
#[utoipa::path(put, path = "/v1/vault/key", operation_id = "replace_vault_key", tag = "vault", security(("bearer" = [])),
    request_body = ReplaceKeyMaterial,
    responses((status = 200, body = KeyMaterialReplaced), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn replace_key(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<ReplaceKeyMaterial>,
) -> ApiResult<Json<KeyMaterialReplaced>> {
    check_key_material(&request.key_material)?;
    check_state(&request.state)?;
    let current = vault::get(&state.db, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    if current.vault_id != request.key_material.vault_id.to_string() {
        // A conflict with what the account holds, not a malformed request.
        return Err(ApiError::new(
            ErrorCode::VaultExists,
            "The key material names another vault than this account's.",
        ));
    }
    let mut tx = state.db.begin().await?;
    let Some(revision) = vault::advance_from(
        &mut tx,
        &authed.account_id,
        request.base_revision,
        request.state.as_slice(),
    )
    .await?
    else {
        return Err(moved_on_or_missing(&state, &authed).await);
    };
    vault::replace_key_material(&mut tx, &authed.account_id, &key_row(&request.key_material))
        .await?;
    tx.commit().await?;
    let _ = state.events.send(VaultEvent {
        account_id: authed.account_id.clone(),
        device_id: authed.device_id.clone(),
        revision,
    });
    Ok(Json(KeyMaterialReplaced { revision }))
}

/// A compare-and-swap that did not apply: the vault moved on, or there is none.
async fn moved_on_or_missing(state: &AppState, authed: &Authed) -> ApiError {
    match vault::revision(&state.db, &authed.account_id).await {
        Ok(Some(_)) => vault_changed(),
        Ok(None) => no_vault(),
        Err(err) => err.into(),
    }
}

fn vault_changed() -> ApiError {
    ApiError::new(
        ErrorCode::VaultChanged,
        "The vault changed since this device last synced: nothing was applied. Sync again.",
    )
}

/// A server-sent-events stream: a `revision` event now, then whenever another device pushes.
#[utoipa::path(get, path = "/v1/vault/events", operation_id = "vault_events", tag = "vault", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = RevisionEvent),
              (status = 404, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    authed: Authed,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let receiver = state.events.subscribe();
    let first = vault::revision(&state.db, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + EVENT_POLL, EVENT_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = (state, authed, receiver, poll, None::<i64>, first);
    let stream = stream::unfold(
        start,
        |(state, authed, mut receiver, mut poll, sent, latest)| async move {
            let mut latest = latest;
            loop {
                if sent.is_none_or(|sent| latest > sent) {
                    let event = revision_event(latest);
                    return Some((
                        Ok(event),
                        (state, authed, receiver, poll, Some(latest), latest),
                    ));
                }
                tokio::select! {
                    message = receiver.recv() => match message {
                        Ok(event) if event.account_id == authed.account_id
                            && event.device_id != authed.device_id => latest = latest.max(event.revision),
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            latest = current_revision(&state, &authed).await.unwrap_or(latest).max(latest);
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = poll.tick() => {
                        latest = current_revision(&state, &authed).await.unwrap_or(latest).max(latest);
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn current_revision(state: &AppState, authed: &Authed) -> Option<i64> {
    vault::revision(&state.db, &authed.account_id)
        .await
        .ok()
        .flatten()
}

fn revision_event(revision: i64) -> Event {
    Event::default()
        .event(REVISION_EVENT)
        .id(revision.to_string())
        .data(format!("{{\"revision\":{revision}}}"))
}

fn check_push(request: &PushChanges) -> ApiResult<()> {
    if request.changes.is_empty() || request.changes.len() > MAX_PUSH_ITEMS {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("A push carries 1 to {MAX_PUSH_ITEMS} changes."),
        ));
    }
    if request.base_revision.is_some_and(|base| base < 0) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "The base revision is negative.",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for change in &request.changes {
        if !seen.insert(change.item_id) {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "An item appears twice in one push.",
            ));
        }
        if change.base_revision < 0 {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "A base revision is negative.",
            ));
        }
        if change.version.is_some_and(|v| v.counter < 1) {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "An item version's counter is 1 or more.",
            ));
        }
        if change
            .blob
            .as_ref()
            .is_some_and(|blob| blob.as_slice().len() > MAX_BLOB_BYTES)
        {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "An item is larger than 256 KiB.",
            ));
        }
    }
    Ok(())
}

fn check_state(sealed: &Bytes) -> ApiResult<()> {
    if sealed.as_slice().is_empty() || sealed.as_slice().len() > MAX_STATE_BYTES {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("A sealed vault state is 1 to {MAX_STATE_BYTES} bytes."),
        ));
    }
    Ok(())
}

/// Sizes of the key material, and KDF parameters between the clients' floor and a ceiling.
fn check_key_material(material: &KeyMaterial) -> ApiResult<()> {
    let sizes_ok = (1..=MAX_KEY_BYTES).contains(&material.wrapped_vault_key.as_slice().len())
        && (8..=MAX_KEY_BYTES).contains(&material.salt.as_slice().len())
        && material
            .key_check
            .as_ref()
            .is_none_or(|check| check.as_slice().len() == KEY_CHECK_BYTES);
    if !sizes_ok {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "The wrapped vault key, the salt or the key check has an impossible size.",
        ));
    }
    let KdfParams {
        memory_kib,
        iterations,
        parallelism,
    } = material.kdf;
    let kdf_ok = (KDF_MIN_MEMORY_KIB..=KDF_MAX_MEMORY_KIB).contains(&memory_kib)
        && (KDF_MIN_ITERATIONS..=KDF_MAX_ITERATIONS).contains(&iterations)
        && (1..=KDF_MAX_PARALLELISM).contains(&parallelism)
        && memory_kib >= 8 * parallelism;
    if !kdf_ok {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "The KDF parameters are out of range (memory {KDF_MIN_MEMORY_KIB}–{KDF_MAX_MEMORY_KIB} KiB, \
                 passes {KDF_MIN_ITERATIONS}–{KDF_MAX_ITERATIONS}, lanes 1–{KDF_MAX_PARALLELISM})."
            ),
        ));
    }
    Ok(())
}

/// The stored form of key material (revision and state left for the caller).
fn key_row(material: &KeyMaterial) -> VaultRow {
    VaultRow {
        vault_id: material.vault_id.to_string(),
        wrapped_vault_key: material.wrapped_vault_key.0.clone(),
        salt: material.salt.0.clone(),
        kdf_memory_kib: i64::from(material.kdf.memory_kib),
        kdf_iterations: i64::from(material.kdf.iterations),
        kdf_parallelism: i64::from(material.kdf.parallelism),
        key_check: material.key_check.as_ref().map(|check| check.0.clone()),
        revision: 0,
        state: None,
    }
}

fn key_material(row: &VaultRow) -> ApiResult<KeyMaterial> {
    let narrow = |v: i64| u32::try_from(v).map_err(ApiError::internal);
    Ok(KeyMaterial {
        vault_id: Uuid::parse_str(&row.vault_id).map_err(ApiError::internal)?,
        wrapped_vault_key: Bytes(row.wrapped_vault_key.clone()),
        salt: Bytes(row.salt.clone()),
        kdf: KdfParams {
            memory_kib: narrow(row.kdf_memory_kib)?,
            iterations: narrow(row.kdf_iterations)?,
            parallelism: narrow(row.kdf_parallelism)?,
        },
        key_check: row.key_check.clone().map(Bytes),
    })
}

fn info(row: VaultRow) -> ApiResult<VaultInfo> {
    Ok(VaultInfo {
        key_material: key_material(&row)?,
        revision: row.revision,
        state: row.state.map(Bytes),
    })
}

fn remote(row: ItemRow) -> ApiResult<RemoteItem> {
    let version = match (row.version_counter, row.version_writer) {
        (Some(counter), Some(writer)) => Some(ItemVersion {
            counter,
            writer: Uuid::parse_str(&writer).map_err(ApiError::internal)?,
        }),
        _ => None,
    };
    Ok(RemoteItem {
        item_id: Uuid::parse_str(&row.item_id).map_err(ApiError::internal)?,
        revision: row.revision,
        version,
        deleted: row.blob.is_none(),
        blob: row.blob.map(Bytes),
    })
}

fn no_vault() -> ApiError {
    ApiError::new(
        ErrorCode::VaultNotFound,
        "This account has no vault yet: create it from the first device.",
    )
}
