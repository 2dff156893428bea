//! The database: one pool over SQLite or PostgreSQL, chosen by the URL, and its migrations.
//!
//! Queries are written once in the SQL both engines understand (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`); only the schema files differ, under `migrations/sqlite` and
//! `migrations/postgres`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The two engines the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a database URL names.
    pub fn of(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(sqlx::Error::Configuration(
                "database_url must start with sqlite: or postgres://".into(),
            ))
        }
    }
}

/// Opens the pool; SQLite gets WAL, a busy timeout and foreign keys on every connection.
pub async fn connect(url: &str, max_connections: u32) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let engine = Engine::of(url)?;
    let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
    AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if engine == Engine::Sqlite {
                    connection
                        .execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

/// Creates a missing SQLite file with owner-only access (its WAL files inherit the mode).
pub fn create_private_sqlite_file(url: &str) -> std::io::Result<()> {
    let Some(rest) = url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = std::path::Path::new(rest.split('?').next().unwrap_or(rest));
    if path.as_os_str().is_empty() || rest.starts_with(":memory:") || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A transaction whose reads all see one snapshot of the database, whatever commits meanwhile
/// (SQLite's deferred transactions do in WAL mode; PostgreSQL needs REPEATABLE READ).
pub async fn begin_snapshot(
    pool: &AnyPool,
    url: &str,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if Engine::of(url)? == Engine::Postgres {
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
    }
    Ok(tx)
}

/// Brings the schema up to date.
pub async fn migrate(pool: &AnyPool, url: &str) -> Result<(), sqlx::migrate::MigrateError> {
    match Engine::of(url)? {
        Engine::Sqlite => SQLITE_MIGRATIONS.run(pool).await,
        Engine::Postgres => POSTGRES_MIGRATIONS.run(pool).await,
    }
}
