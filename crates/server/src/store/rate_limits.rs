//! `rate_limits`: the hits of each limit's bucket in its current fixed window, shared by every
//! node through the database. A hit is checked and recorded in one upsert, so parallel requests
//! cannot pass a limit together on either engine.

use sqlx::{Any, Executor};

/// The bucket's window after one more hit: (hits in the window, when the window began).
pub async fn hit<'c>(
    db: impl Executor<'c, Database = Any>,
    bucket: &str,
    now: i64,
    window_ms: i64,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING hits, window_start",
    )
    .bind(bucket)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(db)
    .await
}

/// Forgets a bucket (an account's failures after it signs in).
pub async fn clear<'c>(db: impl Executor<'c, Database = Any>, bucket: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .execute(db)
        .await
        .map(drop)
}

/// Forgets buckets whose window began before `before`.
pub async fn prune<'c>(db: impl Executor<'c, Database = Any>, before: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE window_start <= $1")
        .bind(before)
        .execute(db)
        .await
        .map(drop)
}
