//! The HTTP API, one module per area. The router and the OpenAPI document are built from the
//! same list, so the document always matches the routes.

pub mod accounts;
pub mod challenges;
pub mod devices;
pub mod oauth;
pub mod oauth_token;
pub mod sessions;
pub mod statement;
pub mod suite;
pub mod vault;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use keyhaven_protocol::error::ErrorCode;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Keyhaven Account", description = "Accounts, SMS security codes, sessions, devices and end-to-end-encrypted vault sync."),
    modifiers(&BearerAuth),
    tags((name = "accounts"), (name = "sessions"), (name = "devices"), (name = "vault"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Every `/v1` route with its OpenAPI description.
pub fn api() -> (Router<AppState>, OpenApiDocument) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(statement::current))
        .routes(routes!(accounts::create))
        .routes(routes!(accounts::me, accounts::delete))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::change_phone))
        .routes(routes!(accounts::set_two_step))
        .routes(routes!(sessions::sign_in))
        .routes(routes!(sessions::refresh))
        .routes(routes!(sessions::sign_out))
        .routes(routes!(oauth_token::token))
        .routes(routes!(oauth_token::providers))
        .routes(routes!(suite::publish, suite::withdraw))
        .routes(routes!(suite::check))
        .routes(routes!(suite::sign_in))
        .routes(routes!(challenges::verify))
        .routes(routes!(challenges::resend))
        .routes(routes!(devices::list))
        .routes(routes!(devices::revoke))
        .routes(routes!(vault::create, vault::get))
        .routes(routes!(vault::changes))
        .routes(routes!(vault::push))
        .routes(routes!(vault::replace_key))
        .routes(routes!(vault::events))
        .split_for_parts()
}

/// The whole service: the API, its OpenAPI document, health, limits and request logs.
pub fn router(state: AppState) -> Router {
    let (api, document) = api();
    let document = std::sync::Arc::new(document);
    let body_limit = state.config.max_body_bytes;
    api.route(
        "/v1/openapi.json",
        get(move || {
            let document = document.clone();
            async move { axum::Json(document.as_ref().clone()) }
        }),
    )
    .route("/healthz", get(health))
    .route("/oauth/authorize", get(oauth::authorize))
    .route(
        "/oauth/callback/{provider}",
        get(oauth::callback_get).post(oauth::callback_post),
    )
    .fallback(not_found)
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&state.db).await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(error) => ApiError::internal(format_args!("health check: {error}")).into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "There is no such route.")
}
