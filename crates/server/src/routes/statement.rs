//! `GET /v1/statement`: the Web-Portal Statement in force.

use axum::extract::State;
use keyhaven_protocol::error::Problem;
use keyhaven_protocol::statement::Statement;

use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::store::statements;

/// The statement a new account must accept.
#[utoipa::path(get, path = "/v1/statement", operation_id = "get_statement", tag = "accounts",
    responses((status = 200, body = Statement), (status = 500, body = Problem)))]
pub async fn current(State(state): State<AppState>) -> ApiResult<Json<Statement>> {
    let row = statements::current(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal("no statement is published"))?;
    Ok(Json(Statement {
        version: row.version,
        text: row.text,
        published_at: row.published_at,
    }))
}
