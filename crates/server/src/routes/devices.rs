//! `/v1/devices`: the account's signed-in devices.

use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_protocol::devices::{Device, DeviceList};
use keyhaven_protocol::error::{ErrorCode, Problem};
use uuid::Uuid;

use crate::device_sessions;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, Json, Path};
use crate::state::AppState;
use crate::store::devices;

/// Lists the account's devices.
#[utoipa::path(get, path = "/v1/devices", operation_id = "list_devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = DeviceList), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, authed: Authed) -> ApiResult<Json<DeviceList>> {
    let rows = devices::live(&state.db, &authed.account_id).await?;
    let devices = rows
        .into_iter()
        .map(|row| {
            Ok(Device {
                current: row.id == authed.device_id,
                id: Uuid::parse_str(&row.id).map_err(ApiError::internal)?,
                name: row.name,
                platform: row.platform,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(DeviceList { devices }))
}

/// Revokes a device: its tokens stop working at once.
#[utoipa::path(delete, path = "/v1/devices/{device_id}", operation_id = "revoke_device", tag = "devices", security(("bearer" = [])),
    params(("device_id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    authed: Authed,
    Path(device_id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    let revoked =
        device_sessions::revoke(&state, &mut tx, &authed.account_id, &device_id.to_string())
            .await?;
    if !revoked {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "No such device on this account.",
        ));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
