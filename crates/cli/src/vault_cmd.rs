//! `keyhaven vault …`: thin adapters from arguments to `keyhaven_vault`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::generator::{self, GeneratorOptions};
use keyhaven_vault::item::{
    Card, Identity, Item, ItemContent, ItemDraft, ItemKind, Login, SecureNote,
};
use keyhaven_vault::paths::default_vault_path;
use keyhaven_vault::Vault;
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{
    AddArgs, EditArgs, FieldArgs, GenerateArgs, GetArgs, InitArgs, ItemType, PasswdArgs, RmArgs,
    VaultCommand,
};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// Runs one `keyhaven vault` command on the vault at `vault` (default: this OS user's).
pub fn run(
    command: VaultCommand,
    vault: Option<std::path::PathBuf>,
    password_stdin: bool,
    json: bool,
) -> Result<()> {
    let mut input = Input::new(password_stdin);
    if let VaultCommand::Generate(args) = &command {
        return generate(args, json);
    }
    let path = match vault {
        Some(path) => path,
        None => default_vault_path()?,
    };
    if let VaultCommand::Init(args) = &command {
        return init(&path, args, &mut input, json);
    }
    // A swap into the account's vault that was interrupted is finished first (as the app does).
    let mut vault = keyhaven_client::account::DataDir::for_vault(&path).open_vault()?;
    let master_password = input.secret("Master password: ")?;
    vault.unlock(master_password.as_bytes())?;
    match command {
        VaultCommand::Add(args) => add(&mut vault, args, &mut input, json),
        VaultCommand::List(args) => {
            let wanted = args.item_type.map(kind_of);
            let items: Vec<_> = vault
                .list()?
                .into_iter()
                .filter(|s| wanted.is_none_or(|k| s.kind == k))
                .collect();
            print_summaries(&items, json);
            Ok(())
        }
        VaultCommand::Search(args) => {
            print_summaries(&vault.search(&args.query.join(" "))?, json);
            Ok(())
        }
        VaultCommand::Get(args) => get(&vault, args, json),
        VaultCommand::Edit(args) => edit(&mut vault, args, &mut input, json),
        VaultCommand::Rm(args) => rm(&mut vault, args, &mut input, json),
        VaultCommand::Passwd(args) => passwd(&mut vault, args, master_password, &mut input, json),
        VaultCommand::Import(args) => crate::import_cmd::run(&mut vault, args, &mut input, json),
        VaultCommand::Export(args) => crate::export_cmd::run(&vault, args, &mut input, json),
        VaultCommand::Totp(args) => crate::health_cmd::totp(&vault, args, json),
        VaultCommand::Health(args) => crate::health_cmd::health(&mut vault, args, json),
        VaultCommand::Init(_) | VaultCommand::Generate(_) => {
            unreachable!("handled before unlocking")
        }
    }
}

fn print_summaries(items: &[&keyhaven_vault::search::ItemSummary], json: bool) {
    if json {
        output::json(&items);
    } else {
        output::summaries(items);
    }
}

fn kind_of(item_type: ItemType) -> ItemKind {
    match item_type {
        ItemType::Login => ItemKind::Login,
        ItemType::Note => ItemKind::SecureNote,
        ItemType::Card => ItemKind::Card,
        ItemType::Identity => ItemKind::Identity,
    }
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

fn new_master_password(input: &mut Input, prompt: &str) -> Result<Zeroizing<String>> {
    let password = input.new_secret(prompt)?;
    generator::check_master_password(&password, &[])?;
    Ok(password)
}

fn init(path: &Path, args: &InitArgs, input: &mut Input, json: bool) -> Result<()> {
    let kdf = KdfParams {
        memory_kib: args.kdf_memory_mib.saturating_mul(1024),
        iterations: args.kdf_iterations,
        parallelism: args.kdf_parallelism,
    };
    kdf.validate()?;
    // Refuse before asking for a password; `Vault::create` checks again, atomically.
    if path.exists() && std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(true) {
        return Err(keyhaven_vault::VaultError::VaultExists(path.to_path_buf()).into());
    }
    if !json {
        eprintln!("Your master password encrypts the vault. It is never stored or sent anywhere,");
        eprintln!("so nobody can recover it for you: choose one you will remember.");
    }
    let password = new_master_password(input, "New master password: ")?;
    let vault = Vault::create(path, password.as_bytes(), kdf)?;
    if json {
        output::json(&json!({ "vault": path, "vault_id": vault.id() }));
    } else {
        println!("Created an empty vault at {}", path.display());
    }
    Ok(())
}

fn generate(args: &GenerateArgs, json: bool) -> Result<()> {
    let options = GeneratorOptions {
        length: args.length,
        lowercase: !args.no_lowercase,
        uppercase: !args.no_uppercase,
        digits: !args.no_digits,
        symbols: !args.no_symbols,
        exclude_lookalikes: args.exclude_lookalikes,
    };
    let password = generator::generate(&options)?;
    if json {
        output::json(
            &json!({ "password": password.as_str(), "strength": generator::strength(&password, &[]) }),
        );
    } else {
        println!("{}", password.as_str());
    }
    Ok(())
}

fn generated_password(length: usize) -> Result<String> {
    Ok(generator::generate(&GeneratorOptions {
        length,
        ..GeneratorOptions::default()
    })?
    .to_string())
}

fn parse_expiry(expiry: &str) -> Result<(u8, u16)> {
    let (month, year) = expiry
        .split_once('/')
        .ok_or_else(|| usage("--expiry must look like MM/YYYY"))?;
    let month: u8 = month
        .trim()
        .parse()
        .map_err(|_| usage("the expiry month must be a number"))?;
    let year: u16 = year
        .trim()
        .parse()
        .map_err(|_| usage("the expiry year must be a number"))?;
    let year = if year < 100 { 2000 + year } else { year };
    Ok((month, year))
}

/// Reads a draft from stdin JSON.
fn draft_from_json(input: &mut Input) -> Result<ItemDraft> {
    let text = input.rest()?;
    serde_json::from_str(&text)
        .map_err(|e| usage(format!("the item JSON on standard input is invalid: {e}")))
}

/// Applies the flag fields to a draft (only those given).
fn apply_flags(draft: &mut ItemDraft, fields: &FieldArgs) -> Result<()> {
    if let Some(title) = &fields.title {
        draft.title = title.clone();
    }
    if let Some(folder) = &fields.folder {
        draft.folder = Some(folder.clone()).filter(|f| !f.is_empty());
    }
    if !fields.tags.is_empty() {
        draft.tags = fields.tags.clone();
    }
    if fields.favourite {
        draft.favourite = true;
    }
    if fields.not_favourite {
        draft.favourite = false;
    }
    match &mut draft.content {
        ItemContent::Login(login) => {
            if let Some(username) = &fields.username {
                login.username = username.clone();
            }
            if !fields.urls.is_empty() {
                login.urls = fields.urls.clone();
            }
            if fields.generate {
                login.password = generated_password(fields.length)?;
            }
        }
        ItemContent::Card(card) => {
            if let Some(holder) = &fields.cardholder {
                card.cardholder_name = holder.clone();
            }
            if let Some(expiry) = &fields.expiry {
                let (month, year) = parse_expiry(expiry)?;
                card.expiry_month = Some(month);
                card.expiry_year = Some(year);
            }
        }
        ItemContent::Identity(identity) => {
            for (value, slot) in [
                (&fields.first_name, &mut identity.first_name),
                (&fields.last_name, &mut identity.last_name),
                (&fields.email, &mut identity.email),
                (&fields.phone, &mut identity.phone),
            ] {
                if let Some(value) = value {
                    *slot = value.clone();
                }
            }
        }
        ItemContent::SecureNote(_) | ItemContent::Other(_) => {}
    }
    Ok(())
}

/// Prompts for the item type's secrets (terminal without echo, or stdin lines).
fn prompt_secrets(draft: &mut ItemDraft, input: &mut Input, length: usize) -> Result<()> {
    let title = draft.title.clone();
    match &mut draft.content {
        ItemContent::Login(login) => {
            let typed = input.secret(&format!("Password for {title} (empty to generate one): "))?;
            login.password = if typed.is_empty() {
                generated_password(length)?
            } else {
                typed.to_string()
            };
        }
        ItemContent::SecureNote(note) => {
            note.notes = input.secret("Note text (hidden): ")?.to_string()
        }
        ItemContent::Card(card) => {
            card.number = input.secret("Card number (hidden): ")?.to_string();
            card.security_code = input.secret("Security code (hidden): ")?.to_string();
        }
        ItemContent::Identity(_) | ItemContent::Other(_) => {}
    }
    Ok(())
}

fn empty_content(item_type: ItemType) -> ItemContent {
    match item_type {
        ItemType::Login => ItemContent::Login(Login::default()),
        ItemType::Note => ItemContent::SecureNote(SecureNote::default()),
        ItemType::Card => ItemContent::Card(Card::default()),
        ItemType::Identity => ItemContent::Identity(Identity::default()),
    }
}

fn report_saved(verb: &str, item: &Item, json: bool) {
    if json {
        output::json(&keyhaven_vault::search::ItemSummary::of(item));
    } else {
        println!(
            "{verb} {} \"{}\" (id {})",
            output::kind_label(item.content.kind()),
            item.title,
            &item.id.simple().to_string()[..8]
        );
    }
}

fn add(vault: &mut Vault, args: AddArgs, input: &mut Input, json: bool) -> Result<()> {
    let draft = if args.fields.from_json {
        draft_from_json(input)?
    } else {
        let title = args
            .fields
            .title
            .clone()
            .ok_or_else(|| usage("--title is required (or use --from-json)"))?;
        let mut draft = ItemDraft {
            title,
            content: empty_content(args.item_type),
            favourite: false,
            folder: None,
            tags: vec![],
        };
        apply_flags(&mut draft, &args.fields)?;
        if !(args.fields.generate && args.item_type == ItemType::Login) {
            prompt_secrets(&mut draft, input, args.fields.length)?;
        }
        draft
    };
    let item = vault.add(draft)?;
    report_saved("Added", &item, json);
    Ok(())
}

fn get(vault: &Vault, args: GetArgs, json: bool) -> Result<()> {
    let item = vault.get(vault.resolve(&args.item)?)?;
    if let Some(field) = &args.field {
        let value = keyhaven_vault::fields::by_name(&item, field)
            .ok_or_else(|| usage(format!("\"{}\" has no field \"{field}\"", item.title)))?;
        println!("{}", value.as_str());
        return Ok(());
    }
    if json {
        output::json(&item);
    } else {
        output::item(&item, args.show);
    }
    Ok(())
}

fn edit(vault: &mut Vault, args: EditArgs, input: &mut Input, json: bool) -> Result<()> {
    let id = vault.resolve(&args.item)?;
    let draft = if args.fields.from_json {
        draft_from_json(input)?
    } else {
        let mut draft = vault.get(id)?.to_draft();
        apply_flags(&mut draft, &args.fields)?;
        if args.change_secret {
            prompt_secrets(&mut draft, input, args.fields.length)?;
        }
        draft
    };
    let item = vault.update(id, draft)?;
    report_saved("Updated", &item, json);
    Ok(())
}

fn rm(vault: &mut Vault, args: RmArgs, input: &mut Input, json: bool) -> Result<()> {
    let id = vault.resolve(&args.item)?;
    let title = vault.get(id)?.title;
    if !args.yes && !input.confirm(&format!("Delete \"{title}\"?"))? {
        bail!(usage("nothing deleted"));
    }
    vault.delete(id)?;
    if json {
        output::json(&json!({ "deleted": id }));
    } else {
        println!("Deleted \"{title}\"");
    }
    Ok(())
}

fn passwd(
    vault: &mut Vault,
    args: PasswdArgs,
    current: Zeroizing<String>,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let old = vault.kdf_params();
    let kdf = KdfParams {
        memory_kib: args
            .kdf_memory_mib
            .map_or(old.memory_kib, |m| m.saturating_mul(1024)),
        iterations: args.kdf_iterations.unwrap_or(old.iterations),
        parallelism: args.kdf_parallelism.unwrap_or(old.parallelism),
    };
    let new = new_master_password(input, "New master password: ")?;
    vault
        .change_master_password(current.as_bytes(), new.as_bytes(), kdf)
        .context("the master password was not changed")?;
    let sent = crate::account_cmd::send_changes(vault)?;
    if json {
        output::json(&json!({ "changed": true, "account": sent.as_str() }));
        return Ok(());
    }
    println!("Master password changed.");
    match sent {
        crate::account_cmd::Sending::NotConnected => {}
        crate::account_cmd::Sending::Sent => println!(
            "It is on Keyhaven Account: your other devices ask for the new master password at their next unlock."
        ),
        crate::account_cmd::Sending::Waiting(reason) => println!(
            "It reaches Keyhaven Account with the next sync ({reason}); until then your other devices use the old one."
        ),
    }
    Ok(())
}
