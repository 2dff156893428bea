//! The `keyhaven` command: the same vault operations as the desktop app, for terminals and scripts.
//!
//! `args` is the grammar, `input` where secrets come from, `vault_cmd` the vault subcommands,
//! `account_cmd` the Keyhaven Account subcommands, `output` how results are printed. All vault
//! logic lives in `keyhaven-vault`, all account and sync logic in `keyhaven-client`.

mod account_cmd;
mod args;
mod export_cmd;
mod health_cmd;
mod import_cmd;
mod input;
mod output;
mod sign_in_methods_cmd;
mod vault_cmd;

use std::process::ExitCode;

use clap::Parser;
use keyhaven_client::ClientError;
use keyhaven_vault::VaultError;

/// A usage or input mistake the person can fix (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn exit_code_and_code(err: &anyhow::Error) -> (u8, &'static str) {
    if let Some(client_err) = err.downcast_ref::<ClientError>() {
        let exit = match client_err {
            ClientError::Vault(vault_err) => return vault_exit(vault_err),
            ClientError::Offline(_) => 7,
            ClientError::Service { .. }
            | ClientError::SignInRequired
            | ClientError::VaultDiffers
            | ClientError::BrowserSignIn(_) => 8,
            ClientError::UnsyncedChanges(_)
            | ClientError::SharedAccountUnconfirmed
            | ClientError::ConfirmationMismatch => 2,
            ClientError::Protocol(_) | ClientError::Keyring(_) | ClientError::Storage { .. } => 1,
        };
        return (exit, client_err.code_str());
    }
    if let Some(vault_err) = err.downcast_ref::<VaultError>() {
        return vault_exit(vault_err);
    }
    if let Some(leak_err) = err.downcast_ref::<keyhaven_client::health::LeakCheckError>() {
        let exit = match leak_err {
            keyhaven_client::health::LeakCheckError::Unreachable(_) => 7,
            keyhaven_client::health::LeakCheckError::Vault(vault_err) => {
                return vault_exit(vault_err)
            }
            _ => 2,
        };
        return (exit, leak_err.code());
    }
    if let Some(import_err) = err.downcast_ref::<keyhaven_import::ImportError>() {
        return (2, import_err.code());
    }
    if err.downcast_ref::<UsageError>().is_some() {
        return (2, "invalid_input");
    }
    (1, "error")
}

fn vault_exit(vault_err: &VaultError) -> (u8, &'static str) {
    if vault_err.is_unverified_service_data() {
        return (9, vault_err.code());
    }
    let exit = match vault_err {
        VaultError::WrongMasterPassword | VaultError::MasterPasswordChanged { .. } => 3,
        VaultError::KeyMaterialTampered => 9,
        VaultError::VaultNotFound(_) | VaultError::ItemNotFound(_) => 4,
        VaultError::CorruptVault { .. }
        | VaultError::NewerSchema { .. }
        | VaultError::Integrity => 5,
        VaultError::VaultExists(_) => 6,
        VaultError::LinkedElsewhere => 8,
        VaultError::WeakKdfParams(_)
        | VaultError::WeakMasterPassword(_)
        | VaultError::InvalidKdfParams(_)
        | VaultError::InvalidItem(_)
        | VaultError::InvalidGeneratorOptions(_)
        | VaultError::InvalidTotpSecret(_)
        | VaultError::NoTotpSecret => 2,
        _ => 1,
    };
    (exit, vault_err.code())
}

/// Runs one parsed command line.
fn run(cli: args::Cli) -> anyhow::Result<()> {
    match cli.command {
        args::Command::Vault(command) => {
            vault_cmd::run(*command, cli.vault, cli.password_stdin, cli.json)
        }
        args::Command::Account(command) => {
            let vault = match cli.vault {
                Some(path) => path,
                None => keyhaven_vault::paths::default_vault_path()?,
            };
            let mut input = input::Input::new(cli.password_stdin);
            account_cmd::run(command, vault, &mut input, cli.json)
        }
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let (exit, code) = exit_code_and_code(&err);
            output::error(json, code, &err);
            ExitCode::from(exit)
        }
    }
}
