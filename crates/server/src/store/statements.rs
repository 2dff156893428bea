//! `statements`: every published Web-Portal Statement; the highest version is in force.

use sqlx::{Any, Executor, FromRow};

/// One published statement.
#[derive(Debug, Clone, FromRow)]
pub struct StatementRow {
    pub version: i64,
    pub text: String,
    pub published_at: i64,
}

/// The statement in force, if any was published.
pub async fn current<'c>(
    db: impl Executor<'c, Database = Any>,
) -> sqlx::Result<Option<StatementRow>> {
    sqlx::query_as(
        "SELECT version, text, published_at FROM statements ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await
}

/// Publishes `text` as the next version and returns that version.
pub async fn publish<'c>(
    db: impl Executor<'c, Database = Any>,
    text: &str,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO statements (version, text, published_at) \
         SELECT COALESCE(MAX(version), 0) + 1, $1, $2 FROM statements RETURNING version",
    )
    .bind(text)
    .bind(now)
    .fetch_one(db)
    .await
}
