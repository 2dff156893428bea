//! The HTTP API, one module per area. The router and the OpenAPI document are built from the
//! same list, so the document always matches the routes.

pub mod accounts;
pub mod challenges;
pub mod devices;
pub mod oauth;
pub mod oauth_token;
pub mod openapi;
pub mod sessions;
pub mod sign_in_methods;
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
        .routes(routes!(accounts::change_password, accounts::add_password))
        .routes(routes!(accounts::change_phone))
        .routes(routes!(accounts::set_two_step))
        .routes(routes!(sign_in_methods::list, sign_in_methods::link))
        .routes(routes!(sign_in_methods::remove))
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
    let document = std::sync::Arc::new(openapi::exact(document));
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
    .layer(axum::middleware::from_fn(refuse_control_characters_in_uri))
    .layer(axum::middleware::map_response(problem_for_bare_errors))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// Refuses a path or query string that decodes to a control or invisible character (`%00`…),
/// before any route or database sees it.
async fn refuse_control_characters_in_uri(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri();
    let parts = [uri.path(), uri.query().unwrap_or("")];
    let forbidden = parts.iter().any(|part| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8_lossy()
            .chars()
            .any(keyhaven_protocol::limits::is_forbidden_char)
    });
    if forbidden {
        return ApiError::new(
            ErrorCode::InvalidRequest,
            "The address contains a control or invisible character.",
        )
        .into_response();
    }
    next.run(request).await
}

/// Turns any error response that is not a problem document yet (axum's own 405, a layer's 413 or
/// 408) into one with the stable code of its status, keeping its headers (`Allow`,
/// `Retry-After`).
async fn problem_for_bare_errors(response: axum::response::Response) -> axum::response::Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|value| {
            value.as_bytes() == keyhaven_protocol::error::PROBLEM_CONTENT_TYPE.as_bytes()
        });
    if status.as_u16() < 400 || is_problem {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "There is no such route."),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "This route does not take this method; Allow lists the ones it takes.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::PayloadTooLarge, "The request body is too large.")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "Send the request body as application/json.",
        ),
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthenticated, "Sign in first."),
        StatusCode::TOO_MANY_REQUESTS => {
            (ErrorCode::RateLimited, "Too many requests; wait a moment.")
        }
        StatusCode::SERVICE_UNAVAILABLE => (
            ErrorCode::ServiceBusy,
            "The service is busy; try again in a moment.",
        ),
        s if s.is_server_error() => (
            ErrorCode::Internal,
            "The service could not complete the request; nothing was changed.",
        ),
        _ => (ErrorCode::InvalidRequest, "The request is not valid."),
    };
    let (mut parts, _) = response.into_parts();
    let mut problem = ApiError::new(code, detail);
    problem.status = status;
    let fresh = problem.into_response();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    for (name, value) in fresh.headers() {
        parts.headers.insert(name, value.clone());
    }
    let (_, body) = fresh.into_parts();
    axum::response::Response::from_parts(parts, body)
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
