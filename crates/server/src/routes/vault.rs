//! `/v1/vault`: the account's encrypted vault — key material, changes since a revision, pushes
//! with per-item compare-and-swap, and a server-sent-events stream of new revisions.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::error::{ErrorCode, Problem};
use keyhaven_protocol::vault::{
    ChangeResult, ChangesPage, CreateVault, KdfParams, PushChanges, PushResult, RemoteItem,
    RevisionEvent, VaultInfo, REVISION_EVENT,
};
use serde::Deserialize;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, Json};
use crate::state::{AppState, VaultEvent};
use crate::store::vault::{self, ItemRow, VaultRow};

/// Most changes one push may carry; a page of changes always holds a whole push.
pub const MAX_PUSH_ITEMS: usize = 500;
const MAX_PAGE: i64 = 1000;
const MAX_BLOB_BYTES: usize = 256 * 1024;
const MAX_KEY_BYTES: usize = 1024;
/// How often an open event stream re-reads the revision (pushes that reached another node).
const EVENT_POLL: Duration = Duration::from_secs(10);

/// Creates the account's vault from key material the service cannot use.
#[utoipa::path(post, path = "/v1/vault", tag = "vault", security(("bearer" = [])),
    request_body = CreateVault,
    responses((status = 201, body = VaultInfo), (status = 400, body = Problem),
              (status = 409, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<CreateVault>,
) -> ApiResult<(StatusCode, Json<VaultInfo>)> {
    let sizes_ok = (1..=MAX_KEY_BYTES).contains(&request.wrapped_vault_key.as_slice().len())
        && (8..=MAX_KEY_BYTES).contains(&request.salt.as_slice().len());
    if !sizes_ok {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "The wrapped vault key or the salt has an impossible size.",
        ));
    }
    let row = VaultRow {
        vault_id: request.vault_id.to_string(),
        wrapped_vault_key: request.wrapped_vault_key.0.clone(),
        salt: request.salt.0.clone(),
        kdf_memory_kib: i64::from(request.kdf.memory_kib),
        kdf_iterations: i64::from(request.kdf.iterations),
        kdf_parallelism: i64::from(request.kdf.parallelism),
        revision: 0,
    };
    if !vault::create(&state.db, &authed.account_id, &row, state.now()).await? {
        return Err(ApiError::new(
            ErrorCode::VaultExists,
            "This account has a vault already: unlock it with its master password.",
        ));
    }
    Ok((StatusCode::CREATED, Json(info(row)?)))
}

/// The vault's key material and current revision.
#[utoipa::path(get, path = "/v1/vault", tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = VaultInfo), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, authed: Authed) -> ApiResult<Json<VaultInfo>> {
    let row = vault::get(&state.db, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    Ok(Json(info(row)?))
}

/// Query of `GET /v1/vault/changes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChangesQuery {
    /// The last revision the device has; 0 for everything.
    pub since: i64,
    /// Most items in the page (at least 500, at most 1000).
    pub limit: Option<i64>,
}

/// Items changed after `since`, a page at a time; a page never splits a revision.
#[utoipa::path(get, path = "/v1/vault/changes", tag = "vault", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 404, body = Problem)))]
pub async fn changes(
    State(state): State<AppState>,
    authed: Authed,
    Query(query): Query<ChangesQuery>,
) -> ApiResult<Json<ChangesPage>> {
    let revision = vault::revision(&state.db, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    if query.since >= revision {
        return Ok(Json(ChangesPage {
            revision,
            items: Vec::new(),
            more: false,
            next_since: revision,
        }));
    }
    let limit = query
        .limit
        .unwrap_or(MAX_PAGE)
        .clamp(MAX_PUSH_ITEMS as i64, MAX_PAGE);
    let mut rows =
        vault::changed_since(&state.db, &authed.account_id, query.since, limit + 1).await?;
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
    Ok(Json(ChangesPage {
        revision,
        items,
        more,
        next_since,
    }))
}

/// Applies each change whose item is still at its base revision, all at one new revision;
/// the others come back as conflicts with the item as stored now.
#[utoipa::path(post, path = "/v1/vault/items", tag = "vault", security(("bearer" = [])),
    request_body = PushChanges,
    responses((status = 200, body = PushResult), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 413, body = Problem)))]
pub async fn push(
    State(state): State<AppState>,
    authed: Authed,
    Json(request): Json<PushChanges>,
) -> ApiResult<Json<PushResult>> {
    check_push(&request)?;
    let mut tx = state.db.begin().await?;
    let revision = vault::next_revision(&mut tx, &authed.account_id)
        .await?
        .ok_or_else(no_vault)?;
    let mut results = Vec::with_capacity(request.changes.len());
    let mut applied = 0usize;
    for change in &request.changes {
        let item_id = change.item_id.to_string();
        let current = vault::item(&mut tx, &authed.account_id, &item_id).await?;
        let current_revision = current.as_ref().map_or(0, |row| row.revision);
        if current_revision == change.base_revision {
            let blob = change.blob.as_ref().map(Bytes::as_slice);
            vault::put_item(&mut tx, &authed.account_id, &item_id, revision, blob).await?;
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
        return Ok(Json(PushResult {
            revision: revision - 1,
            results,
        }));
    }
    tx.commit().await?;
    let _ = state.events.send(VaultEvent {
        account_id: authed.account_id.clone(),
        device_id: authed.device_id.clone(),
        revision,
    });
    Ok(Json(PushResult { revision, results }))
}

/// A server-sent-events stream: a `revision` event now, then whenever another device pushes.
#[utoipa::path(get, path = "/v1/vault/events", tag = "vault", security(("bearer" = [])),
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

fn info(row: VaultRow) -> ApiResult<VaultInfo> {
    let narrow = |v: i64| u32::try_from(v).map_err(ApiError::internal);
    Ok(VaultInfo {
        vault_id: Uuid::parse_str(&row.vault_id).map_err(ApiError::internal)?,
        wrapped_vault_key: Bytes(row.wrapped_vault_key),
        salt: Bytes(row.salt),
        kdf: KdfParams {
            memory_kib: narrow(row.kdf_memory_kib)?,
            iterations: narrow(row.kdf_iterations)?,
            parallelism: narrow(row.kdf_parallelism)?,
        },
        revision: row.revision,
    })
}

fn remote(row: ItemRow) -> ApiResult<RemoteItem> {
    Ok(RemoteItem {
        item_id: Uuid::parse_str(&row.item_id).map_err(ApiError::internal)?,
        revision: row.revision,
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
