//! What can go wrong talking to the service.

use keyhaven_protocol::error::{ErrorCode, Problem};

/// A failed call: the service said no (with its code), or it could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with a problem document.
    #[error("{message}")]
    Service {
        code: ErrorCode,
        message: String,
        status: u16,
        retry_after_seconds: Option<u64>,
        tries_left: Option<u32>,
        statement_version: Option<i64>,
    },
    /// No answer: offline, refused, timed out. Nothing is lost; try again later.
    #[error("Keyhaven Account cannot be reached: {0}")]
    Offline(String),
    /// An answer the client does not understand (a proxy page, a newer service).
    #[error("unexpected answer from Keyhaven Account: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The service's error code, when the service answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Service { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A stable code for every error, for `{ code, message }` in the UI.
    pub fn code_str(&self) -> &'static str {
        match self {
            Self::Service { code, .. } => code.as_str(),
            Self::Offline(_) => "offline",
            Self::Protocol(_) => "protocol",
        }
    }

    pub(crate) fn from_problem(problem: Problem) -> Self {
        Self::Service {
            code: problem.code,
            message: problem.detail.unwrap_or(problem.title),
            status: problem.status,
            retry_after_seconds: problem.retry_after_seconds,
            tries_left: problem.tries_left,
            statement_version: problem.statement_version,
        }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        let error = error.without_url();
        if error.is_decode() {
            Self::Protocol(error.to_string())
        } else {
            Self::Offline(error.to_string())
        }
    }
}
