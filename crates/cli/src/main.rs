//! The `keyhaven` command: the same vault operations as the desktop app, for terminals and scripts.
//!
//! `args` is the grammar, `input` where secrets come from, `vault_cmd` the vault subcommands,
//! `output` how results are printed. All vault logic lives in `keyhaven-vault`.

mod args;
mod input;
mod output;
mod vault_cmd;

use std::process::ExitCode;

use clap::Parser;
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
    if let Some(vault_err) = err.downcast_ref::<VaultError>() {
        let exit = match vault_err {
            VaultError::WrongMasterPassword => 3,
            VaultError::VaultNotFound(_) | VaultError::ItemNotFound(_) => 4,
            VaultError::CorruptVault { .. }
            | VaultError::NewerSchema { .. }
            | VaultError::Integrity => 5,
            VaultError::VaultExists(_) => 6,
            VaultError::WeakKdfParams(_)
            | VaultError::WeakMasterPassword(_)
            | VaultError::InvalidKdfParams(_)
            | VaultError::InvalidItem(_)
            | VaultError::InvalidGeneratorOptions(_) => 2,
            _ => 1,
        };
        return (exit, vault_err.code());
    }
    if err.downcast_ref::<UsageError>().is_some() {
        return (2, "invalid_input");
    }
    (1, "error")
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let json = cli.json;
    match vault_cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let (exit, code) = exit_code_and_code(&err);
            output::error(json, code, &err);
            ExitCode::from(exit)
        }
    }
}
