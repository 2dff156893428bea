//! The Keyhaven Account service: accounts confirmed by SMS security codes, device sessions with
//! rotating refresh tokens, and storage and sync of each account's end-to-end-encrypted vault.
//!
//! It is not the vault: it never sees a master password, a key or a plaintext item; it keeps
//! opaque blobs with a per-account revision. Start with [`routes::router`] (every route and the
//! OpenAPI document), then the area you need: `routes/` per API area, `store/` per table, `sms/`
//! per provider, [`config`] for every setting. The same code runs on SQLite (default, zero
//! setup) and PostgreSQL ([`db`]).

pub mod clock;
pub mod codes;
pub mod config;
pub mod db;
pub mod device_sessions;
pub mod error;
pub mod extract;
pub mod passwords;
pub mod routes;
pub mod secrets;
pub mod sms;
pub mod social;
pub mod state;
pub mod store;
pub mod throttle;
pub mod validate;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use clock::Clock;
use config::Config;
use secrets::ServerSecret;
use sms::SmsProvider;
use state::AppState;

/// The statement published when a new database has none and no `statement_file` is set.
pub const DEFAULT_STATEMENT: &str = include_str!("default_statement.md");

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("SMS provider: {0}")]
    Sms(#[from] sms::SmsError),
    #[error("TLS: {0}")]
    Tls(String),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StartError {
    let context = context.into();
    move |source| StartError::Io { context, source }
}

/// Opens and migrates the database, publishes the first statement if needed, and assembles the
/// shared state. `sms` replaces the configured provider (tests); `clock` is the service's now.
pub async fn start(
    config: Config,
    clock: Clock,
    sms: Option<Box<dyn SmsProvider>>,
) -> Result<AppState, StartError> {
    // One TLS crypto provider (ring) for the carrier client and the HTTPS listener.
    let _ = rustls::crypto::ring::default_provider().install_default();
    create_private_dir(&config)?;
    let url = config.database_url();
    db::create_private_sqlite_file(&url).map_err(io("database file"))?;
    let db = db::connect(&url, config.database_max_connections).await?;
    db::migrate(&db, &url).await?;
    if store::statements::current(&db).await?.is_none() {
        let text = match &config.statement_file {
            Some(path) => std::fs::read_to_string(path).map_err(io(path.display().to_string()))?,
            None => DEFAULT_STATEMENT.to_owned(),
        };
        store::statements::publish(&db, &text, clock.now_ms()).await?;
    }
    let secret = match config::decode_secret(&config.server_secret) {
        Some(bytes) => ServerSecret::new(bytes),
        None => {
            let path = config.data_dir.join("server-secret");
            ServerSecret::load_or_create(&path).map_err(io(path.display().to_string()))?
        }
    };
    let sms = match sms {
        Some(sms) => sms,
        None => sms::from_config(&config)?,
    };
    for (name, provider) in &config.social.providers {
        let issuer = social::issuer_key(&provider.issuer);
        let resolved = store::social_identities::resolve_legacy(&db, name, &issuer).await?;
        if resolved > 0 {
            tracing::info!(provider = %name, %issuer, resolved, "identities linked before issuers were recorded now name theirs");
        }
    }
    let state = AppState::new(db, config, sms, clock, secret);
    spawn_maintenance(state.clone());
    Ok(state)
}

/// Serves the API on `listener` (HTTPS when the configuration has a certificate) until
/// `shutdown` resolves.
pub async fn serve(
    listener: std::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let tls = state.config.tls.clone();
    let app = routes::router(state).into_make_service_with_connect_info::<SocketAddr>();
    listener.set_nonblocking(true).map_err(io("listener"))?;
    match tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(listener).map_err(io("listener"))?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                shutdown.await;
                let _ = stop.send(true);
            });
            let mut graceful = stopped.clone();
            let mut deadline = stopped;
            let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = graceful.wait_for(|stop| *stop).await;
            });
            // Event streams never end on their own: give open requests five seconds.
            tokio::select! {
                served = server => served.map_err(io("serving")),
                _ = async move {
                    let _ = deadline.wait_for(|stop| *stop).await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                } => Ok(()),
            }
        }
        Some(tls) => {
            let rustls_config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                    .await
                    .map_err(|e| StartError::Tls(e.to_string()))?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(Duration::from_secs(5)));
            });
            axum_server::from_tcp_rustls(listener, rustls_config)
                .handle(handle)
                .serve(app)
                .await
                .map_err(io("serving"))
        }
    }
}

fn create_private_dir(config: &Config) -> Result<(), StartError> {
    let dir = &config.data_dir;
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io(dir.display().to_string()))
}

/// Every ten minutes: forget expired tokens, old rate-limit windows and finished challenges.
fn spawn_maintenance(state: AppState) {
    tokio::spawn(async move {
        let period = Duration::from_secs(600);
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            if let Err(error) = maintain(&state).await {
                tracing::warn!(%error, "maintenance failed");
            }
        }
    });
}

async fn maintain(state: &AppState) -> Result<(), sqlx::Error> {
    let now = state.now();
    let day = 86_400_000;
    let mut tx = state.db.begin().await?;
    store::tokens::prune(&mut tx, now).await?;
    let grace = clock::ms(state.config.sessions.refresh_grace_seconds);
    store::tokens::forget_successors(&mut tx, now - grace).await?;
    store::oauth_requests::delete_expired(&mut *tx, now).await?;
    store::oauth_codes::delete_expired(&mut *tx, now).await?;
    store::rate_limits::prune(&mut *tx, now - day).await?;
    sqlx::query("DELETE FROM challenges WHERE expires_at <= $1 OR finished_at <= $1")
        .bind(now - day)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
