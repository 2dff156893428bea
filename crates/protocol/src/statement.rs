//! The Web-Portal Statement every account accepts.

use serde::{Deserialize, Serialize};

/// The statement currently in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Statement {
    /// Increases by one with every published revision.
    pub version: i64,
    /// The full text shown to the person before they accept.
    pub text: String,
    /// When this version was published, Unix milliseconds.
    pub published_at: i64,
}
