//! The command line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  unexpected error (I/O, database)
  2  invalid usage or input (bad flags, invalid item, refused parameters)
  3  wrong master password
  4  not found (no vault at the path, no such item)
  5  the vault file is corrupted or from a newer Keyhaven
  6  a vault already exists at the path
  7  Keyhaven Account cannot be reached (nothing is lost; try again later)
  8  Keyhaven Account said no (wrong code or password, limits, sign in again…)
  9  Keyhaven Account returned a vault that does not match what your devices wrote
     (nothing was changed on this computer)

The master password is never taken from an argument: it is read from the terminal
without echo, or as the first line of standard input with --password-stdin; any
further secret a command asks for (item password, new master password) is then
read from the following lines, in the order the command asks for them.";

/// keyhaven: your Keyhaven vault from a terminal and from scripts.
#[derive(Debug, Parser)]
#[command(name = "keyhaven", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The vault file (default: the per-user data dir's vault.sqlite)
    #[arg(long, global = true, env = "KEYHAVEN_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Print machine-readable JSON instead of human text
    #[arg(long, global = true)]
    pub json: bool,

    /// Read the master password from the first line of standard input
    #[arg(long, global = true)]
    pub password_stdin: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with the local vault
    #[command(subcommand, after_help = EXIT_CODES)]
    Vault(Box<VaultCommand>),
    /// Keyhaven Account: sign up, sign in, and sync this vault with your other devices
    #[command(subcommand, after_help = EXIT_CODES)]
    Account(AccountCommand),
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Print the Web-Portal Statement that creating an account accepts
    Statement(ServiceArgs),
    /// Create a Keyhaven Account; a security code goes to the phone (finish with `verify`)
    Signup(SignupArgs),
    /// Sign in to Keyhaven Account (finish with `verify` when a code is sent)
    Login(LoginArgs),
    /// Enter the SMS security code (or ask for a new one), then connect this vault and sync
    Verify(VerifyArgs),
    /// Who this computer is signed in as and what waits to sync (no password needed)
    Status,
    /// Connect this vault to the account if needed, then sync it now
    Sync,
    /// List the account's devices, or revoke one
    Devices(DevicesArgs),
    /// List the account's sign-in methods (password, Google, Apple…), add a provider, or
    /// remove one (never the last)
    Methods(MethodsArgs),
    /// Sign this computer out; the vault stays here as a local vault unless removed
    Logout(LogoutArgs),
    /// Change the account password (not the master password); the account's other devices
    /// are signed out
    Password,
    /// Turn 2-step verification (an SMS code at every sign-in) on or off
    TwoStep(TwoStepArgs),
    /// Delete the Keyhaven Account for good; this computer's vault stays as a local vault
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct TwoStepArgs {
    /// `on` or `off`
    #[arg(value_parser = ["on", "off"])]
    pub state: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The account's email, typed to confirm (asked for when left out)
    #[arg(long, value_name = "EMAIL")]
    pub confirm: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The Keyhaven Account service
    #[arg(long, env = "KEYHAVEN_SERVICE_URL", value_name = "URL")]
    pub service: Option<String>,
}

#[derive(Debug, Args)]
pub struct SignupArgs {
    #[arg(long)]
    pub email: String,
    /// Mobile number for security codes, in international form (+44…)
    #[arg(long)]
    pub phone: String,
    /// Accept this version of the Web-Portal Statement (see `keyhaven account statement`)
    #[arg(long, value_name = "VERSION")]
    pub accept_statement: Option<i64>,
    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, required_unless_present = "with", conflicts_with = "with")]
    pub email: Option<String>,
    /// Sign in with this provider in the browser instead of an account password
    #[arg(long, value_name = "PROVIDER", value_parser = keyhaven_client::browser_sign_in::PROVIDERS)]
    pub with: Option<String>,
    /// With --with: only print the sign-in link (open it in any browser on this computer)
    #[arg(long, requires = "with")]
    pub no_browser: bool,
    /// With --with, for a new account: the mobile number for security codes
    #[arg(long, requires = "with")]
    pub phone: Option<String>,
    /// Let the other Keyhaven apps of this computer sign in as this account ("Continue as…");
    /// `keyhaven account logout` withdraws it
    #[arg(long)]
    pub share_with_apps: bool,
    /// Accept this newer version of the Web-Portal Statement when the service asks for it
    #[arg(long, value_name = "VERSION")]
    pub accept_statement: Option<i64>,
    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The 6-digit code from the SMS (asked for when left out)
    pub code: Option<String>,
    /// Send a new code instead (allowed once the cooldown has passed)
    #[arg(long, conflicts_with = "code")]
    pub resend: bool,
}

#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Sign this device out of the account
    #[arg(long, value_name = "DEVICE_ID")]
    pub revoke: Option<uuid::Uuid>,
}

#[derive(Debug, Args)]
pub struct MethodsArgs {
    /// Link this provider (google, facebook, apple) through the browser
    #[arg(long, value_name = "PROVIDER", conflicts_with = "remove")]
    pub add: Option<String>,
    /// Unlink a provider: its id from the list, or its name when only one is linked
    #[arg(long, value_name = "ID_OR_PROVIDER", conflicts_with = "add_password")]
    pub remove: Option<String>,
    /// Give an account made with a provider an account password (a code goes to its phone;
    /// finish with `verify`)
    #[arg(long, conflicts_with = "add")]
    pub add_password: bool,
    /// Print the sign-in link instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Also delete this computer's copy of the vault (the account keeps its copy)
    #[arg(long)]
    pub remove_local_vault: bool,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create a new vault protected by a master password
    Init(InitArgs),
    /// Add an item; secrets are prompted for (or given as JSON on stdin with --from-json)
    Add(AddArgs),
    /// List every item
    List(ListArgs),
    /// Show one item (by id, id prefix or exact title)
    Get(GetArgs),
    /// Change an item; only the given fields change
    Edit(EditArgs),
    /// Delete an item
    Rm(RmArgs),
    /// Find items by title, username, URL or tag
    Search(SearchArgs),
    /// Generate a password (needs no vault)
    Generate(GenerateArgs),
    /// Change the master password
    Passwd(PasswdArgs),
    /// Import another password manager's export: a summary first, then every item or none
    Import(ImportArgs),
    /// Export every item: encrypted (Keyhaven, KDBX) or, explained and confirmed, in plaintext
    Export(ExportArgs),
    /// Print a login's current one-time code (--json adds the seconds it has left)
    Totp(TotpArgs),
    /// Report weak, reused, old and leaked passwords and insecure websites
    Health(HealthArgs),
}

#[derive(Debug, Args)]
pub struct TotpArgs {
    /// Item id, id prefix (4+ characters) or exact title
    pub item: String,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Check the passwords against Have I Been Pwned first: only the first 5 characters of
    /// each password's SHA-1 leave this computer
    #[arg(long)]
    pub check_leaks: bool,
    /// The range API to ask (default https://api.pwnedpasswords.com/range/)
    #[arg(long, value_name = "URL", env = "KEYHAVEN_LEAK_CHECK_URL")]
    pub leak_check_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The export's format
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Where to write it (readable by this OS user only)
    #[arg(long, short)]
    pub output: std::path::PathBuf,
    /// Write a plaintext export without asking
    #[arg(long)]
    pub yes: bool,
}

/// The formats `vault export --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Keyhaven's encrypted export, sealed with a password you choose (asked twice)
    Keyhaven,
    /// A KDBX 4 database that KeePassXC opens, sealed with a password you choose
    Kdbx,
    /// Bitwarden's unencrypted JSON (every item kind)
    BitwardenJson,
    /// Bitwarden's CSV (logins and notes; cards and identities as notes)
    BitwardenCsv,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export's format
    #[arg(long = "from", value_enum, value_name = "FORMAT")]
    pub format: ImportFormat,
    /// The exported file
    pub file: std::path::PathBuf,
    /// What to do with items that look like ones the vault has (same kind, title, username
    /// and first URL); asked for when there are some
    #[arg(long, value_enum)]
    pub duplicates: Option<Duplicates>,
    /// Import without asking for confirmation after the summary
    #[arg(long)]
    pub yes: bool,
    /// The key file of a KeePass database (with --from kdbx)
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<std::path::PathBuf>,
}

/// The formats `vault import --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Bitwarden's unencrypted JSON export
    BitwardenJson,
    /// Bitwarden's CSV export
    BitwardenCsv,
    /// Chrome's, Edge's or Brave's password CSV
    ChromeCsv,
    /// Firefox's password CSV
    FirefoxCsv,
    /// Safari's password CSV
    SafariCsv,
    /// KeePassXC's CSV export
    KeepassxcCsv,
    /// Any CSV whose header names its columns (title or name, url, username, password, notes…)
    Csv,
    /// A KeePass or KeePassXC database (.kdbx, KDBX 3.1 and 4); asks for its password
    Kdbx,
    /// KeePass's or KeePassXC's XML export
    KeepassXml,
    /// 1Password's .1pux export
    #[value(name = "1pux")]
    OnePux,
    /// Keyhaven's encrypted export; asks for its password
    Keyhaven,
}

/// Likely duplicates: left out, or imported anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Duplicates {
    Skip,
    Import,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Argon2id memory in MiB (minimum 19)
    #[arg(long, default_value_t = 64)]
    pub kdf_memory_mib: u32,
    /// Argon2id iterations (minimum 2)
    #[arg(long, default_value_t = 3)]
    pub kdf_iterations: u32,
    /// Argon2id lanes
    #[arg(long, default_value_t = 4)]
    pub kdf_parallelism: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ItemType {
    Login,
    Note,
    Card,
    Identity,
}

/// Fields settable from flags; secrets are never flags.
#[derive(Debug, Args, Default)]
pub struct FieldArgs {
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub username: Option<String>,
    /// A URL of the login (repeat for several)
    #[arg(long = "url")]
    pub urls: Vec<String>,
    /// A tag (repeat for several)
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    #[arg(long)]
    pub folder: Option<String>,
    /// Mark as favourite
    #[arg(long)]
    pub favourite: bool,
    /// Remove the favourite mark
    #[arg(long, conflicts_with = "favourite")]
    pub not_favourite: bool,
    /// Cardholder name (cards)
    #[arg(long)]
    pub cardholder: Option<String>,
    /// Expiry as MM/YYYY (cards)
    #[arg(long)]
    pub expiry: Option<String>,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// Generate the login's password instead of prompting for it
    #[arg(long)]
    pub generate: bool,
    /// Length of a generated password
    #[arg(long, default_value_t = 20)]
    pub length: usize,
    /// Read the whole item as JSON from standard input (after the master password line)
    #[arg(long, conflicts_with_all = ["title", "username", "urls", "generate"])]
    pub from_json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// What kind of item
    #[arg(long = "type", value_enum, default_value_t = ItemType::Login)]
    pub item_type: ItemType,
    #[command(flatten)]
    pub fields: FieldArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only items of this kind
    #[arg(long = "type", value_enum)]
    pub item_type: Option<ItemType>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Item id, id prefix (4+ characters) or exact title
    pub item: String,
    /// Print only this field's raw value (e.g. password, username)
    #[arg(long)]
    pub field: Option<String>,
    /// Show secrets instead of masking them
    #[arg(long)]
    pub show: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Item id, id prefix or exact title
    pub item: String,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Prompt for a new secret (password, note text, card number)
    #[arg(long)]
    pub change_secret: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Item id, id prefix or exact title
    pub item: String,
    /// Do not ask for confirmation
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words that must all appear (any case)
    #[arg(required = true)]
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 20)]
    pub length: usize,
    #[arg(long)]
    pub no_lowercase: bool,
    #[arg(long)]
    pub no_uppercase: bool,
    #[arg(long)]
    pub no_digits: bool,
    #[arg(long)]
    pub no_symbols: bool,
    /// Leave out characters that look alike (I l 1 O 0 o |)
    #[arg(long)]
    pub exclude_lookalikes: bool,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Argon2id memory in MiB for the new password (default: keep)
    #[arg(long)]
    pub kdf_memory_mib: Option<u32>,
    #[arg(long)]
    pub kdf_iterations: Option<u32>,
    #[arg(long)]
    pub kdf_parallelism: Option<u32>,
}
