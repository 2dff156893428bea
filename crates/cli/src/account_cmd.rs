//! `keyhaven account …`: thin adapters from arguments to `keyhaven_client`.
//!
//! The SMS step spans two runs (`signup`/`login`, then `verify`), so the pending challenge is
//! kept in a small file beside the vault; the session itself lives in `cli-account.json` (no
//! secret) and the OS keyring (the refresh token).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use keyhaven_client::connect::{attach_vault, cloud_vault};
use keyhaven_client::device::this_device;
use keyhaven_client::merge::{local_vault_needs_merge, merge_into_cloud_vault};
use keyhaven_client::session::{write_private, Session, SessionStore};
use keyhaven_client::social::{BrowserSignIn, RedeemDetails, CLI_CLIENT_ID, WAIT_LIMIT};
use keyhaven_client::suite;
use keyhaven_client::sync::{sync_once, SyncReport};
use keyhaven_client::{default_service_url, ApiClient, ClientError};
use keyhaven_protocol::accounts::{CreateAccount, SmsChallenge};
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{ChallengeOutcome, SessionGrant, SignIn, SignInOutcome};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::paths::remove_vault_files;
use keyhaven_vault::Vault;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::args::{AccountCommand, DevicesArgs, LoginArgs, LogoutArgs, SignupArgs, VerifyArgs};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// The program name the CLI's session is filed under in the keyring.
const PROGRAM: &str = "cli";

/// A sign-up or sign-in waiting for its SMS code.
#[derive(Debug, Serialize, Deserialize)]
struct PendingChallenge {
    service_url: String,
    email: String,
    challenge_id: String,
    phone_hint: String,
    /// `login --share-with-apps`: publish the suite session once signed in.
    #[serde(default)]
    share_with_apps: bool,
}

/// Where this vault's CLI session and pending challenge live.
struct Files {
    vault: PathBuf,
    store: SessionStore,
    pending: PathBuf,
}

impl Files {
    fn new(vault: PathBuf) -> Self {
        let dir = vault.parent().map(Path::to_path_buf).unwrap_or_default();
        Self {
            store: SessionStore::new(dir.join("cli-account.json"), PROGRAM),
            pending: dir.join("cli-pending-sign-in.json"),
            vault,
        }
    }
}

/// Runs one `keyhaven account` command.
pub fn run(command: AccountCommand, vault: PathBuf, input: &mut Input, json: bool) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")?;
    let files = Files::new(vault);
    runtime.block_on(async {
        match command {
            AccountCommand::Statement(args) => statement(&service_url(args.service), json).await,
            AccountCommand::Signup(args) => signup(&files, args, input, json).await,
            AccountCommand::Login(args) => login(&files, args, input, json).await,
            AccountCommand::Verify(args) => verify(&files, args, input, json).await,
            AccountCommand::Status => status(&files, json),
            AccountCommand::Sync => {
                let session = signed_in(&files)?;
                connect_and_sync(&files, &session, input, json).await
            }
            AccountCommand::Devices(args) => devices(&files, args, json).await,
            AccountCommand::Logout(args) => logout(&files, args, input, json).await,
        }
    })
}

fn service_url(arg: Option<String>) -> String {
    arg.unwrap_or_else(default_service_url)
}

fn signed_in(files: &Files) -> Result<Session> {
    Session::resume(files.store.clone())?.ok_or_else(|| {
        UsageError("not signed in; run `keyhaven account login` first".into()).into()
    })
}

async fn statement(service: &str, json: bool) -> Result<()> {
    let statement = ApiClient::new(service)?.statement().await?;
    if json {
        output::json(&statement);
    } else {
        println!("Web-Portal Statement, version {}\n", statement.version);
        println!("{}", statement.text);
    }
    Ok(())
}

async fn signup(files: &Files, args: SignupArgs, input: &mut Input, json: bool) -> Result<()> {
    let service = service_url(args.service.service);
    let api = ApiClient::new(&service)?;
    let statement = api.statement().await?;
    match args.accept_statement {
        Some(version) if version == statement.version => {}
        Some(version) => bail!(UsageError(format!(
            "the statement in force is version {}, not {version}; read it with `keyhaven account statement`",
            statement.version
        ))),
        None => {
            eprintln!("{}\n", statement.text);
            if !input.confirm(&format!(
                "Do you accept the Web-Portal Statement (version {})?",
                statement.version
            ))? {
                bail!(UsageError("the statement was not accepted; no account was created".into()));
            }
        }
    }
    let password = input.new_secret("Account password (not your master password): ")?;
    let challenge = api
        .create_account(&CreateAccount {
            email: args.email.clone(),
            password: password.as_str().into(),
            phone: args.phone,
            accepted_statement_version: statement.version,
            device: this_device(PROGRAM),
            replaces_challenge_id: None,
        })
        .await?;
    code_sent(files, &service, &args.email, &challenge, false, json)
}

async fn login(files: &Files, args: LoginArgs, input: &mut Input, json: bool) -> Result<()> {
    let service = service_url(args.service.service.clone());
    let Some(email) = args.email.clone() else {
        return login_in_browser(files, &service, args, input, json).await;
    };
    let api = ApiClient::new(&service)?;
    let password = input.secret("Account password: ")?;
    let outcome = api
        .sign_in(&SignIn {
            email: email.clone(),
            password: password.as_str().into(),
            device: this_device(PROGRAM),
            accepted_statement_version: args.accept_statement,
        })
        .await
        .map_err(explain_statement)?;
    signed_in_or_code_sent(
        files,
        api,
        &service,
        &email,
        outcome,
        args.share_with_apps,
        input,
        json,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn signed_in_or_code_sent(
    files: &Files,
    api: ApiClient,
    service: &str,
    who: &str,
    outcome: SignInOutcome,
    share_with_apps: bool,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    match outcome {
        SignInOutcome::SmsRequired(challenge) => {
            code_sent(files, service, who, &challenge, share_with_apps, json)
        }
        SignInOutcome::SignedIn(grant) => {
            let session = establish(files, api, service, grant)?;
            share_if_asked(&session, share_with_apps).await;
            connect_and_sync(files, &session, input, json).await
        }
    }
}

/// Publishes the suite session when `login --share-with-apps` asked for it; a failure is said
/// and does not undo the sign-in.
async fn share_if_asked(session: &Session, share_with_apps: bool) {
    if !share_with_apps {
        return;
    }
    match suite::publish(session, PROGRAM).await {
        Ok(()) => eprintln!(
            "The other Keyhaven apps of this computer can now sign in as {} (until `keyhaven account logout`).",
            session.link().email
        ),
        Err(err) => eprintln!("Warning: could not share this sign-in with the other apps: {err}"),
    }
}

/// `login --with PROVIDER`: the sign-in happens in the browser, which comes back to a loopback
/// listener; what the service still needs (statement, phone, the password of an account to
/// link) is asked for here.
async fn login_in_browser(
    files: &Files,
    service: &str,
    args: LoginArgs,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let provider = args.with.unwrap_or_default();
    let api = ApiClient::new(service)?;
    let started = BrowserSignIn::start(service, CLI_CLIENT_ID, &provider).await?;
    let url = started.authorize_url().to_owned();
    eprintln!(
        "To sign in with {provider}, open this link in a browser on this computer:\n\n  {url}\n"
    );
    if !args.no_browser && open::that_detached(&url).is_ok() {
        eprintln!("(Your browser was opened. Waiting for it to come back…)");
    } else {
        eprintln!("Waiting for the browser to come back (up to 5 minutes)…");
    }
    let code = started.wait(WAIT_LIMIT).await?;
    let mut details = RedeemDetails {
        accepted_statement_version: args.accept_statement,
        phone: args.phone,
        password: None,
    };
    let who = format!("your {provider} sign-in");
    // Each answer that asks for more is asked once; a second identical answer ends the loop.
    for _ in 0..4 {
        let err = match code.redeem(&api, PROGRAM, details.clone()).await {
            Ok(outcome) => {
                return signed_in_or_code_sent(
                    files,
                    api,
                    service,
                    &who,
                    outcome,
                    args.share_with_apps,
                    input,
                    json,
                )
                .await
            }
            Err(err) => err,
        };
        match (err.code(), &err) {
            (
                Some(ErrorCode::SignUpRequired),
                ClientError::Service {
                    statement_version, ..
                },
            ) if details.phone.is_none() || details.accepted_statement_version.is_none() => {
                eprintln!("No Keyhaven Account uses this {provider} sign-in yet; creating one.");
                let version = accept_statement(&api, *statement_version, input).await?;
                details.accepted_statement_version = Some(version);
                if details.phone.is_none() {
                    details.phone =
                        Some(input.line("Mobile number for security codes (+country code): ")?);
                }
            }
            (Some(ErrorCode::LinkRequired), _) if details.password.is_none() => {
                eprintln!(
                    "A Keyhaven Account with this email already exists. Its account password links {provider} to it (once)."
                );
                let password = input.secret("Account password: ")?;
                details.password = Some(password.as_str().into());
            }
            (
                Some(ErrorCode::StatementAcceptanceRequired),
                ClientError::Service {
                    statement_version, ..
                },
            ) if details.accepted_statement_version != *statement_version => {
                let version = accept_statement(&api, *statement_version, input).await?;
                details.accepted_statement_version = Some(version);
            }
            _ => return Err(err.into()),
        }
    }
    bail!(ClientError::Protocol(
        "the service kept asking for more; start again".into()
    ))
}

/// Shows the statement and asks for its acceptance (unless `--accept-statement` named it).
async fn accept_statement(api: &ApiClient, asked: Option<i64>, input: &mut Input) -> Result<i64> {
    let statement = api.statement().await?;
    if asked.is_some_and(|v| v != statement.version) {
        bail!(ClientError::Protocol(
            "the statement changed meanwhile; start again".into()
        ));
    }
    eprintln!("{}\n", statement.text);
    if !input.confirm(&format!(
        "Do you accept the Web-Portal Statement (version {})?",
        statement.version
    ))? {
        bail!(UsageError(
            "the statement was not accepted; nothing was signed in".into()
        ));
    }
    Ok(statement.version)
}

/// A statement-acceptance answer becomes an instruction naming the flag and the version.
fn explain_statement(err: ClientError) -> anyhow::Error {
    if let ClientError::Service {
        statement_version: Some(version),
        ..
    } = err
    {
        return anyhow::Error::new(err).context(format!(
            "a new Web-Portal Statement (version {version}) needs your acceptance: read it with \
             `keyhaven account statement`, then sign in again with --accept-statement {version}"
        ));
    }
    err.into()
}

fn code_sent(
    files: &Files,
    service: &str,
    email: &str,
    challenge: &SmsChallenge,
    share_with_apps: bool,
    json: bool,
) -> Result<()> {
    let pending = PendingChallenge {
        service_url: service.to_owned(),
        email: email.to_owned(),
        challenge_id: challenge.challenge_id.clone(),
        phone_hint: challenge.phone_hint.clone(),
        share_with_apps,
    };
    write_private(&files.pending, &serde_json::to_vec_pretty(&pending)?)
        .with_context(|| format!("cannot write {}", files.pending.display()))?;
    if json {
        output::json(&json!({
            "status": "sms_required",
            "phone_hint": challenge.phone_hint,
            "expires_in_seconds": challenge.expires_in_seconds,
            "resend_after_seconds": challenge.resend_after_seconds,
        }));
    } else {
        println!(
            "A security code was sent by SMS to {}. It is valid for {} minutes.\n\
             Finish with: keyhaven account verify <CODE>   (a new code: keyhaven account verify --resend, after {} s)",
            challenge.phone_hint,
            challenge.expires_in_seconds / 60,
            challenge.resend_after_seconds
        );
    }
    Ok(())
}

async fn verify(files: &Files, args: VerifyArgs, input: &mut Input, json: bool) -> Result<()> {
    let bytes = std::fs::read(&files.pending).map_err(|_| {
        UsageError(
            "no sign-in is waiting for a code; run `keyhaven account login` or `signup`".into(),
        )
    })?;
    let pending: PendingChallenge =
        serde_json::from_slice(&bytes).context("the pending sign-in file is damaged")?;
    let api = ApiClient::new(&pending.service_url)?;
    if args.resend {
        let challenge = api.resend(&pending.challenge_id).await?;
        return code_sent(
            files,
            &pending.service_url,
            &pending.email,
            &challenge,
            pending.share_with_apps,
            json,
        );
    }
    let code = match args.code {
        Some(code) => code,
        None => input.line(&format!("Code sent to {}: ", pending.phone_hint))?,
    };
    let outcome = api.verify(&pending.challenge_id, code.trim()).await?;
    let ChallengeOutcome::SignedIn(grant) = outcome else {
        bail!(ClientError::Protocol(
            "the code confirmed something other than a sign-in".into()
        ));
    };
    let _ = std::fs::remove_file(&files.pending);
    let session = establish(files, api, &pending.service_url, grant)?;
    share_if_asked(&session, pending.share_with_apps).await;
    connect_and_sync(files, &session, input, json).await
}

fn establish(files: &Files, api: ApiClient, service: &str, grant: SessionGrant) -> Result<Session> {
    let other_user = grant.other_os_user_connected;
    let session = Session::establish(api, service, grant, files.store.clone())?;
    eprintln!("Signed in to Keyhaven Account as {}.", session.link().email);
    if other_user {
        eprintln!(
            "Warning: another user of this computer is connected to this account too. You would \
             share every password with them; consider a separate account."
        );
    }
    Ok(session)
}

/// Connects the vault file to the account when it is not yet, then syncs.
async fn connect_and_sync(
    files: &Files,
    session: &Session,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let existing = if vault_exists(&files.vault) {
        let vault = Vault::open(&files.vault)?;
        let account_id = session.link().account_id.to_string();
        vault
            .sync_link()?
            .is_some_and(|link| link.account_id == account_id)
            .then_some(vault)
    } else {
        None
    };
    let vault = if let Some(mut vault) = existing {
        let master = input.secret("Master password: ")?;
        vault.unlock(master.as_bytes())?;
        vault
    } else {
        let share = session.link().other_os_user_connected && confirm_sharing(input)?;
        let cloud = cloud_vault(session).await?;
        if local_vault_needs_merge(&files.vault, cloud.as_ref())? {
            return merge_and_sync(files, session, share, input, json).await;
        }
        let creating = cloud.is_none();
        let master = if creating && !vault_exists(&files.vault) {
            eprintln!(
                "This is the account's first device: choose the master password that will encrypt \
                 your vault. It never leaves your devices and cannot be recovered."
            );
            input.new_secret("New master password: ")?
        } else {
            input.secret("Master password: ")?
        };
        attach_vault(session, &files.vault, &master, KdfParams::default(), share).await?
    };
    let vault = Mutex::new(vault);
    let report = sync_once(session, &vault).await?;
    print_report(&report, json);
    Ok(())
}

/// What became of local changes that should reach Keyhaven Account now.
pub enum Sending {
    /// The vault is not connected to an account this CLI is signed in to.
    NotConnected,
    /// They are on the service.
    Sent,
    /// They wait for the next sync, for this reason.
    Waiting(String),
}

impl Sending {
    /// For `--json`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NotConnected => "not_connected",
            Self::Sent => "sent",
            Self::Waiting(_) => "waiting",
        }
    }
}

/// Syncs `vault` (unlocked) right away when it is connected to the account this CLI is signed in
/// to; a failure to reach the service leaves the changes waiting, nothing lost.
pub fn send_changes(vault: &mut Vault) -> Result<Sending> {
    let files = Files::new(vault.path().to_path_buf());
    let (Some(session), Some(link)) = (Session::resume(files.store.clone())?, vault.sync_link()?)
    else {
        return Ok(Sending::NotConnected);
    };
    if link.account_id != session.link().account_id.to_string() {
        return Ok(Sending::NotConnected);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")?;
    match runtime.block_on(sync_once(&session, &Mutex::new(vault))) {
        Ok(_) => Ok(Sending::Sent),
        Err(err @ (ClientError::Offline(_) | ClientError::SignInRequired)) => {
            Ok(Sending::Waiting(err.to_string()))
        }
        Err(err) => Err(err.into()),
    }
}

/// This computer's vault is not the account's, which has one: its items go into the account's
/// vault (both master passwords are asked), then this vault file is the account's.
async fn merge_and_sync(
    files: &Files,
    session: &Session,
    share_with_other_os_user: bool,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    eprintln!(
        "Your account already has a vault. The items of this computer's vault are added to it \
         (items that are exactly the same are kept once); then this computer uses the account's \
         vault and its master password."
    );
    let mut local = Vault::open(&files.vault)?;
    let local_master = input.secret("Master password of this computer's vault: ")?;
    local.unlock(local_master.as_bytes())?;
    let items = local.items()?;
    let account_master = input.secret("Master password of your account's vault: ")?;
    let (vault, merged) = merge_into_cloud_vault(
        session,
        &files.vault,
        &items,
        &account_master,
        share_with_other_os_user,
        move || drop(local),
    )
    .await?;
    eprintln!(
        "{} item(s) added to the account's vault, {} already there.",
        merged.added, merged.folded
    );
    let report = sync_once(session, &Mutex::new(vault)).await?;
    print_report(&report, json);
    Ok(())
}

/// Another OS user of this computer uses the account: connecting shares every password with
/// them, so it needs a yes typed at the terminal.
fn confirm_sharing(input: &mut Input) -> Result<bool> {
    let agreed = input
        .confirm(
            "Another user of this computer is connected to this account. Connecting shares every \
             password with them. Share the vault with them?",
        )
        .map_err(|_| ClientError::SharedAccountUnconfirmed)?;
    if !agreed {
        bail!(ClientError::SharedAccountUnconfirmed);
    }
    Ok(true)
}

fn vault_exists(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

fn print_report(report: &SyncReport, json: bool) {
    if json {
        output::json(&json!({
            "status": "synced",
            "pushed": report.pushed,
            "pulled": report.pulled,
            "merged": report.merged,
            "conflicts": report.conflicts,
            "quarantined": report.quarantined,
            "master_password_changed": report.key_changed,
            "revision": report.revision,
        }));
        return;
    }
    println!(
        "Synced: {} sent, {} received, {} merged (revision {}).",
        report.pushed, report.pulled, report.merged, report.revision
    );
    if report.conflicts > 0 {
        println!(
            "{} value(s) changed on two devices at once; the other device's value won and this \
             one's is kept in the item's history. Review the flagged items in the app.",
            report.conflicts
        );
    }
    if report.quarantined > 0 {
        println!(
            "{} item(s) from Keyhaven Account did not pass their checks and were kept aside; this \
             computer's copies are unchanged (the app's Settings → Account lists them).",
            report.quarantined
        );
    }
    if report.key_changed {
        println!(
            "The master password was changed on another device: use the new one from the next unlock on."
        );
    }
}

fn status(files: &Files, json: bool) -> Result<()> {
    let link = files.store.link()?;
    let (vault_link, pending) = if vault_exists(&files.vault) {
        let vault = Vault::open(&files.vault)?;
        (vault.sync_link()?, Some(vault.pending_count()?))
    } else {
        (None, None)
    };
    let connected = match (&link, &vault_link) {
        (Some(link), Some(v)) => v.account_id == link.account_id.to_string(),
        _ => false,
    };
    if json {
        output::json(&json!({
            "signed_in": link.is_some(),
            "email": link.as_ref().map(|l| &l.email),
            "service_url": link.as_ref().map(|l| &l.service_url),
            "device_id": link.as_ref().map(|l| l.device_id),
            "vault_connected": connected,
            "revision": vault_link.as_ref().map(|v| v.revision),
            "pending_changes": pending,
        }));
        return Ok(());
    }
    match &link {
        Some(link) => println!(
            "Signed in as {} at {} (device {}).",
            link.email, link.service_url, link.device_id
        ),
        None => println!("Not signed in to Keyhaven Account."),
    }
    match (connected, &vault_link, pending) {
        (true, Some(v), Some(n)) => println!(
            "Vault connected; synced up to revision {}; {n} change(s) wait to be sent.",
            v.revision
        ),
        (_, _, Some(n)) => println!("Local vault only; {n} item change(s) not on any account."),
        (_, _, None) => println!("No vault on this computer yet."),
    }
    Ok(())
}

async fn devices(files: &Files, args: DevicesArgs, json: bool) -> Result<()> {
    let session = signed_in(files)?;
    if let Some(device_id) = args.revoke {
        session
            .authed(|api, token| async move { api.revoke_device(&token, device_id).await })
            .await?;
        if json {
            output::json(&json!({ "revoked": device_id }));
        } else {
            println!("Device {device_id} is signed out of the account.");
        }
        return Ok(());
    }
    let list = session
        .authed(|api, token| async move { api.devices(&token).await })
        .await?;
    if json {
        output::json(&list);
        return Ok(());
    }
    for device in &list.devices {
        println!(
            "{}  {:<8}  {}{}",
            device.id,
            device.platform,
            device.name,
            if device.current {
                "  (this device)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

async fn logout(files: &Files, args: LogoutArgs, input: &mut Input, json: bool) -> Result<()> {
    if args.remove_local_vault
        && !args.yes
        && !input
            .confirm("Delete this computer's copy of the vault? The account keeps its copy.")?
    {
        bail!(UsageError("nothing was changed".into()));
    }
    if args.remove_local_vault && vault_exists(&files.vault) {
        let unsynced = Vault::open(&files.vault)?.pending_count()?;
        if unsynced > 0 {
            bail!(ClientError::UnsyncedChanges(unsynced));
        }
    }
    if let Some(session) = Session::resume(files.store.clone())? {
        if let Err(err) = suite::withdraw(&session).await {
            eprintln!("Warning: withdrawing the sign-in shared with the other apps: {err}");
        }
        session.sign_out().await?;
    }
    if vault_exists(&files.vault) {
        if args.remove_local_vault {
            remove_vault_files(&files.vault)?;
        } else {
            Vault::open(&files.vault)?.unlink_account()?;
        }
    }
    if json {
        output::json(&json!({ "signed_out": true, "local_vault_kept": !args.remove_local_vault }));
    } else if args.remove_local_vault {
        println!("Signed out; this computer's copy of the vault is deleted.");
    } else {
        println!("Signed out; the vault stays on this computer as a local vault.");
    }
    Ok(())
}
