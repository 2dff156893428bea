//! Errors answered as RFC 9457 problem+json with a stable `code`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyhaven_protocol::error::{ErrorCode, Problem, PROBLEM_CONTENT_TYPE};

/// An error a route answers with: its code, status and the words for a person.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub status: StatusCode,
    pub detail: String,
    pub retry_after_seconds: Option<u64>,
    pub tries_left: Option<u32>,
    pub statement_version: Option<i64>,
}

/// The result type of routes and of the logic behind them.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with the status that belongs to its code.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            status: status_of(code),
            detail: detail.into(),
            retry_after_seconds: None,
            tries_left: None,
            statement_version: None,
        }
    }

    /// A 429 (or 503) that also says when to come back.
    pub fn retry_after(code: ErrorCode, detail: impl Into<String>, seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(seconds),
            ..Self::new(code, detail)
        }
    }

    /// Something broke on our side; the cause goes to the log, not to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            ErrorCode::Internal,
            "The service could not complete the request; nothing was changed.",
        )
    }
}

fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        InvalidRequest | InvalidEmail | InvalidPhone | WeakPassword => StatusCode::BAD_REQUEST,
        // The statement moved on since the person read it: a conflict with the current state.
        StatementNotAccepted => StatusCode::CONFLICT,
        SmsCodeInvalid | SmsCodeExpired | SmsCodeBurned => StatusCode::BAD_REQUEST,
        InvalidCredentials | Unauthenticated | InvalidRefreshToken | RefreshTokenReused => {
            StatusCode::UNAUTHORIZED
        }
        StatementAcceptanceRequired | AccountNotActive | SignUpRequired => StatusCode::FORBIDDEN,
        ChallengeNotFound | NotFound | VaultNotFound => StatusCode::NOT_FOUND,
        EmailTaken | VaultExists | LinkRequired | VaultChanged | VaultStateRequired
        | LastSignInMethod | IdentityInUse | PasswordExists => StatusCode::CONFLICT,
        InvalidGrant => StatusCode::BAD_REQUEST,
        NoLinkedAccount => StatusCode::NOT_FOUND,
        SuiteSessionInvalid => StatusCode::UNAUTHORIZED,
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        SmsResendTooSoon | SmsHourlyLimit | TooManySignInAttempts | RateLimited => {
            StatusCode::TOO_MANY_REQUESTS
        }
        SmsDeliveryFailed => StatusCode::BAD_GATEWAY,
        UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ServiceBusy => StatusCode::SERVICE_UNAVAILABLE,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if matches!(error, sqlx::Error::PoolTimedOut) {
            tracing::warn!("no database connection became free in time");
            return Self::retry_after(
                ErrorCode::ServiceBusy,
                "The service is busy; nothing was changed. Try again in a moment.",
                1,
            );
        }
        Self::internal(format_args!("database: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            problem_type: format!("urn:keyhaven:error:{}", self.code.as_str()),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: Some(self.detail),
            code: self.code,
            retry_after_seconds: self.retry_after_seconds,
            tries_left: self.tries_left,
            statement_version: self.statement_version,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
