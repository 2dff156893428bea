//! `keyhaven-server`: runs the Keyhaven Account service, migrates its database, publishes
//! Web-Portal Statements.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use keyhaven_server::clock::Clock;
use keyhaven_server::config::Config;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "keyhaven-server",
    version,
    about = "The Keyhaven Account service"
)]
struct Cli {
    /// A TOML configuration file (environment variables KEYHAVEN_SERVER_* override it).
    #[arg(long, env = "KEYHAVEN_SERVER_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (migrates the database first).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Web-Portal Statements.
    #[command(subcommand)]
    Statement(StatementCommand),
}

#[derive(Subcommand)]
enum StatementCommand {
    /// Print the statement in force.
    Show,
    /// Publish the text of FILE as the next version; signed-in users must accept it again.
    Publish { file: PathBuf },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if cli.log_json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let state = keyhaven_server::start(config, Clock::default(), None).await?;
            tracing::info!("database is up to date");
            state.db.close().await;
            Ok(())
        }
        Command::Statement(StatementCommand::Show) => {
            let state = keyhaven_server::start(config, Clock::default(), None).await?;
            let current = keyhaven_server::store::statements::current(&state.db)
                .await?
                .context("no statement is published")?;
            println!("version {}\n\n{}", current.version, current.text);
            Ok(())
        }
        Command::Statement(StatementCommand::Publish { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            anyhow::ensure!(!text.trim().is_empty(), "{} is empty", file.display());
            let state = keyhaven_server::start(config, Clock::default(), None).await?;
            let version =
                keyhaven_server::store::statements::publish(&state.db, &text, state.now()).await?;
            println!("published statement version {version}");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let state = keyhaven_server::start(config, Clock::default(), None).await?;
    let listener =
        std::net::TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "Keyhaven Account service listening on {scheme}://{address}");
    keyhaven_server::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or_default(),
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or_default();
    tracing::info!("shutting down");
}
