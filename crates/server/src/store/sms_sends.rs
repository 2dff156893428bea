//! `sms_sends`: when codes went out, per account and per number, for the resend limits. Rows
//! older than an hour are pruned: they matter for nothing else.

use sqlx::{Any, AnyConnection, Executor};

/// The window of the hourly limits, in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// The latest send to this account or this number.
pub async fn last_send<'c>(
    db: impl Executor<'c, Database = Any>,
    account_id: &str,
    phone: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(sent_at) FROM sms_sends WHERE account_id = $1 OR phone = $2")
        .bind(account_id)
        .bind(phone)
        .fetch_one(db)
        .await
}

/// Sends within the last hour (count, oldest) for one column value.
pub async fn in_last_hour<'c>(
    db: impl Executor<'c, Database = Any>,
    by_phone: bool,
    value: &str,
    now: i64,
) -> sqlx::Result<(i64, Option<i64>)> {
    let sql = if by_phone {
        "SELECT COUNT(*), MIN(sent_at) FROM sms_sends WHERE phone = $1 AND sent_at > $2"
    } else {
        "SELECT COUNT(*), MIN(sent_at) FROM sms_sends WHERE account_id = $1 AND sent_at > $2"
    };
    sqlx::query_as(sql)
        .bind(value)
        .bind(now - HOUR_MS)
        .fetch_one(db)
        .await
}

/// Records a send and forgets sends older than an hour.
pub async fn record(
    db: &mut AnyConnection,
    account_id: &str,
    phone: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sms_sends WHERE sent_at <= $1")
        .bind(now - HOUR_MS)
        .execute(&mut *db)
        .await?;
    sqlx::query("INSERT INTO sms_sends (account_id, phone, sent_at) VALUES ($1, $2, $3)")
        .bind(account_id)
        .bind(phone)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}
