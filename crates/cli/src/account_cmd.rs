//! `keyhaven account …`: prompts and printing around `keyhaven_client::account`.
//!
//! The SMS step spans two runs (`signup`/`login`, then `verify`), so the pending step is kept in
//! a file beside the vault ([`DataDir::pending_sign_in`]); the session itself lives in
//! `cli-account.json` (no secret) and the OS keyring (the refresh token).

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use keyhaven_client::account::{
    link_state, AccountFlow, ConnectRequest, DataDir, LinkState, LocalVault, NoOpenVault, Outcome,
    PasswordSignIn, Pending, Program, SignUp, SignedIn, Step, VaultStep,
};
use keyhaven_client::browser_sign_in::{BrowserCode, RedeemDetails, WAIT_LIMIT};
use keyhaven_client::session::{write_private, Session};
use keyhaven_client::sync::{sync_once, SyncReport};
use keyhaven_client::{default_service_url, ClientError};
use keyhaven_protocol::accounts::SmsChallenge;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::Vault;
use serde_json::json;

use crate::args::{
    AccountCommand, DeleteArgs, DevicesArgs, LoginArgs, LogoutArgs, SignupArgs, TwoStepArgs,
    VerifyArgs,
};
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// The account steps of the CLI for `vault`, signing in to `service` (else the default).
fn flow(vault: PathBuf, service: Option<String>) -> AccountFlow {
    AccountFlow::new(
        DataDir::for_vault(vault),
        Program::Cli,
        service.unwrap_or_else(default_service_url),
    )
}

/// Runs one `keyhaven account` command.
pub fn run(command: AccountCommand, vault: PathBuf, input: &mut Input, json: bool) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")?;
    runtime.block_on(async {
        match command {
            AccountCommand::Statement(args) => statement(&flow(vault, args.service), json).await,
            AccountCommand::Signup(args) => {
                let flow = flow(vault, args.service.service.clone());
                signup(&flow, args, input, json).await
            }
            AccountCommand::Login(args) => {
                let flow = flow(vault, args.service.service.clone());
                login(&flow, args, input, json).await
            }
            AccountCommand::Verify(args) => verify(&flow(vault, None), args, input, json).await,
            AccountCommand::Status => status(&flow(vault, None), json),
            AccountCommand::Sync => {
                let flow = flow(vault, None);
                let session = signed_in(&flow)?;
                connect_and_sync(&flow, &session, input, json).await
            }
            AccountCommand::Devices(args) => devices(&flow(vault, None), args, json).await,
            AccountCommand::Methods(args) => {
                crate::sign_in_methods_cmd::run(&flow(vault, None), args, input, json).await
            }
            AccountCommand::Logout(args) => logout(&flow(vault, None), args, input, json).await,
            AccountCommand::Password => password(&flow(vault, None), input, json).await,
            AccountCommand::TwoStep(args) => two_step(&flow(vault, None), args, input, json).await,
            AccountCommand::Delete(args) => delete(&flow(vault, None), args, input, json).await,
        }
    })
}

pub(crate) fn signed_in(flow: &AccountFlow) -> Result<Session> {
    flow.resume()?.ok_or_else(|| {
        UsageError("not signed in; run `keyhaven account login` first".into()).into()
    })
}

async fn statement(flow: &AccountFlow, json: bool) -> Result<()> {
    let statement = flow.statement().await?;
    if json {
        output::json(&statement);
    } else {
        println!("Web-Portal Statement, version {}\n", statement.version);
        println!("{}", statement.text);
    }
    Ok(())
}

/// The pending step kept between runs.
pub(crate) struct PendingFile(PathBuf);

impl PendingFile {
    pub(crate) fn of(flow: &AccountFlow) -> Self {
        Self(flow.files().pending_sign_in(Program::Cli))
    }

    fn load(&self) -> Result<Option<Pending>> {
        let bytes = match std::fs::read(&self.0) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.0.display())),
        };
        Ok(Some(
            serde_json::from_slice(&bytes).context("the pending sign-in file is damaged")?,
        ))
    }

    /// Keeps a waiting code for the next run; anything else is not kept.
    pub(crate) fn save(&self, pending: &Option<Pending>) -> Result<()> {
        match pending {
            Some(pending @ Pending::Code(_)) => {
                write_private(&self.0, &serde_json::to_vec_pretty(pending)?)
                    .with_context(|| format!("cannot write {}", self.0.display()))
            }
            _ => match std::fs::remove_file(&self.0) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("cannot remove {}", self.0.display()))
                }
                _ => Ok(()),
            },
        }
    }
}

async fn signup(flow: &AccountFlow, args: SignupArgs, input: &mut Input, json: bool) -> Result<()> {
    let statement = flow.statement().await?;
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
    let file = PendingFile::of(flow);
    let mut pending = None;
    let step = flow
        .sign_up(
            &mut pending,
            SignUp {
                email: args.email,
                password: &password,
                phone: args.phone,
                accepted_statement_version: statement.version,
            },
        )
        .await?;
    file.save(&pending)?;
    show_step(step, json)
}

async fn login(flow: &AccountFlow, args: LoginArgs, input: &mut Input, json: bool) -> Result<()> {
    let Some(email) = args.email.clone() else {
        return login_in_browser(flow, args, input, json).await;
    };
    let password = input.secret("Account password: ")?;
    let mut pending = None;
    let outcome = flow
        .sign_in(
            &mut pending,
            PasswordSignIn {
                email,
                password: &password,
                accepted_statement_version: args.accept_statement,
                share_with_apps: args.share_with_apps,
            },
        )
        .await?;
    PendingFile::of(flow).save(&pending)?;
    match outcome {
        Outcome::Step(Step::AcceptStatement { version }) => bail!(UsageError(format!(
            "a new Web-Portal Statement (version {version}) needs your acceptance: read it with \
             `keyhaven account statement`, then sign in again with --accept-statement {version}"
        ))),
        outcome => finish(flow, outcome, input, json).await,
    }
}

/// Runs the browser leg with `provider`: prints the link (and opens the browser unless
/// `no_browser`), then waits for the browser to come back with the one-time code.
pub(crate) async fn browser_code(
    flow: &AccountFlow,
    provider: &str,
    no_browser: bool,
) -> Result<BrowserCode> {
    let started = flow.start_browser_sign_in(provider).await?;
    let url = started.authorize_url().to_owned();
    eprintln!(
        "To sign in with {provider}, open this link in a browser on this computer:\n\n  {url}\n"
    );
    if !no_browser && open::that_detached(&url).is_ok() {
        eprintln!("(Your browser was opened. Waiting for it to come back…)");
    } else {
        eprintln!("Waiting for the browser to come back (up to 5 minutes)…");
    }
    Ok(started.wait(WAIT_LIMIT).await?)
}

/// Goes on from an outcome: prints the step, or, signed in, connects the vault and syncs.
async fn finish(flow: &AccountFlow, outcome: Outcome, input: &mut Input, json: bool) -> Result<()> {
    match outcome {
        Outcome::Step(step) => show_step(step, json),
        Outcome::SignedIn(signed_in) => {
            let session = say_signed_in(*signed_in);
            connect_and_sync(flow, &session, input, json).await
        }
        Outcome::PasswordAdded => {
            if json {
                output::json(&json!({ "status": "password_added" }));
            } else {
                println!("Your account has an account password now: it signs in with your email.");
            }
            Ok(())
        }
        Outcome::PhoneChanged => Err(ClientError::Protocol(
            "the code confirmed a phone change, not a sign-in".into(),
        )
        .into()),
    }
}

pub(crate) fn show_step(step: Step, json: bool) -> Result<()> {
    match step {
        Step::EnterCode { code_sent } => {
            code_sent_message(&code_sent, json);
            Ok(())
        }
        other => Err(ClientError::Protocol(format!(
            "the service asked for another step ({other:?}); start again"
        ))
        .into()),
    }
}

fn code_sent_message(challenge: &SmsChallenge, json: bool) {
    if json {
        output::json(&json!({
            "status": "sms_required",
            "phone_hint": challenge.phone_hint,
            "expires_in_seconds": challenge.expires_in_seconds,
            "resend_after_seconds": challenge.resend_after_seconds,
            "sent": challenge.sent,
        }));
    } else if !challenge.sent {
        println!(
            "{} got a security code a moment ago, for another sign-in. Ask for yours in {} s with:\n  \
             keyhaven account verify --resend\nthen finish with: keyhaven account verify <CODE>",
            challenge.phone_hint, challenge.resend_after_seconds
        );
    } else {
        println!(
            "A security code was sent by SMS to {}. It is valid for {} minutes.\n\
             Finish with: keyhaven account verify <CODE>   (a new code: keyhaven account verify --resend, after {} s)",
            challenge.phone_hint,
            challenge.expires_in_seconds / 60,
            challenge.resend_after_seconds
        );
    }
}

/// Says who is signed in, the shared-computer warning, and whether sharing with the other apps
/// worked (a failure does not undo the sign-in).
fn say_signed_in(signed_in: SignedIn) -> Session {
    let session = signed_in.session;
    eprintln!("Signed in to Keyhaven Account as {}.", session.link().email);
    if session.link().other_os_user_connected {
        eprintln!(
            "Warning: another user of this computer is connected to this account too. You would \
             share every password with them; consider a separate account."
        );
    }
    match signed_in.shared_with_apps {
        None => {}
        Some(Ok(())) => eprintln!(
            "The other Keyhaven apps of this computer can now sign in as {} (until `keyhaven account logout`).",
            session.link().email
        ),
        Some(Err(err)) => {
            eprintln!("Warning: could not share this sign-in with the other apps: {err}")
        }
    }
    session
}

/// `login --with PROVIDER`: the sign-in happens in the browser, which comes back to a loopback
/// listener; what the service still needs (statement, phone, the password of an account to
/// link) is asked for here.
async fn login_in_browser(
    flow: &AccountFlow,
    args: LoginArgs,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let provider = args.with.clone().unwrap_or_default();
    let code = browser_code(flow, &provider, args.no_browser).await?;
    let mut details = RedeemDetails {
        accepted_statement_version: args.accept_statement,
        phone: args.phone,
        password: None,
    };
    let mut pending = None;
    let mut outcome = flow
        .redeem(
            &mut pending,
            &provider,
            code,
            details.clone(),
            args.share_with_apps,
        )
        .await?;
    // Each question is asked once; a second identical answer from the service ends the loop.
    for _ in 0..4 {
        let Outcome::Step(step) = &outcome else {
            break;
        };
        match step {
            Step::SignUpWithProvider { statement_version }
                if details.phone.is_none() || details.accepted_statement_version.is_none() =>
            {
                eprintln!("No Keyhaven Account uses this {provider} sign-in yet; creating one.");
                let version = accept_statement(flow, *statement_version, input).await?;
                details.accepted_statement_version = Some(version);
                if details.phone.is_none() {
                    details.phone =
                        Some(input.line("Mobile number for security codes (+country code): ")?);
                }
            }
            Step::LinkWithPassword if details.password.is_none() => {
                eprintln!(
                    "A Keyhaven Account with this email already exists. Its account password links {provider} to it (once)."
                );
                let password = input.secret("Account password: ")?;
                details.password = Some(password.as_str().into());
            }
            Step::AcceptStatement { version }
                if details.accepted_statement_version != Some(*version) =>
            {
                let version = accept_statement(flow, Some(*version), input).await?;
                details.accepted_statement_version = Some(version);
            }
            Step::EnterCode { .. } => break,
            _ => bail!(ClientError::Protocol(
                "the service kept asking for the same; start again".into()
            )),
        }
        outcome = flow
            .continue_browser_sign_in(&mut pending, details.clone())
            .await?;
    }
    PendingFile::of(flow).save(&pending)?;
    finish(flow, outcome, input, json).await
}

/// Shows the statement and asks for its acceptance.
async fn accept_statement(
    flow: &AccountFlow,
    asked: Option<i64>,
    input: &mut Input,
) -> Result<i64> {
    let statement = flow.statement().await?;
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

async fn verify(flow: &AccountFlow, args: VerifyArgs, input: &mut Input, json: bool) -> Result<()> {
    let file = PendingFile::of(flow);
    let mut pending = file.load()?;
    let Some(Pending::Code(waiting)) = &pending else {
        bail!(UsageError(
            "no sign-in is waiting for a code; run `keyhaven account login` or `signup`".into(),
        ));
    };
    if args.resend {
        let challenge = flow.resend(&mut pending).await?;
        file.save(&pending)?;
        code_sent_message(&challenge, json);
        return Ok(());
    }
    let code = match args.code {
        Some(code) => code,
        None => input.line(&format!("Code sent to {}: ", waiting.challenge.phone_hint))?,
    };
    let outcome = flow.verify(&mut pending, &code).await;
    file.save(&pending)?;
    finish(flow, outcome?, input, json).await
}

/// Connects the vault file to the account when it is not yet, then syncs.
async fn connect_and_sync(
    flow: &AccountFlow,
    session: &Session,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let plan = flow.connect_plan(session).await?;
    let share = plan.other_os_user_connected && confirm_sharing(input)?;
    let local_master;
    let (master, local) = match plan.vault_step {
        VaultStep::CreateAccountVault => {
            eprintln!(
                "This is the account's first device: choose the master password that will encrypt \
                 your vault. It never leaves your devices and cannot be recovered."
            );
            (input.new_secret("New master password: ")?, None)
        }
        VaultStep::UploadLocalVault | VaultStep::UnlockAccountVault => {
            (input.secret("Master password: ")?, None)
        }
        VaultStep::MergeLocalVault => {
            explain_merge();
            local_master = input.secret("Master password of this computer's vault: ")?;
            let account_master = input.secret("Master password of your account's vault: ")?;
            (
                account_master,
                Some(LocalVault::MasterPassword(&local_master)),
            )
        }
    };
    let connected = flow
        .connect_vault(
            session,
            ConnectRequest {
                master_password: &master,
                share_with_other_os_user: share,
                kdf: KdfParams::default(),
                local,
            },
            || {},
        )
        .await?;
    if let Some(merged) = connected.merged {
        eprintln!(
            "{} item(s) added to the account's vault, {} already there.",
            merged.added, merged.folded
        );
    }
    let report = sync_once(session, &Mutex::new(connected.vault)).await?;
    print_report(&report, json);
    Ok(())
}

fn explain_merge() {
    eprintln!(
        "Your account already has a vault. The items of this computer's vault are added to it \
         (items that are exactly the same are kept once); then this computer uses the account's \
         vault and its master password."
    );
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
    let flow = flow(vault.path().to_path_buf(), None);
    let Some(session) = flow.resume()? else {
        return Ok(Sending::NotConnected);
    };
    if link_state(vault, session.link().account_id)? != LinkState::ThisAccount {
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

/// Another OS user of this computer is connected to this account: connecting shares every
/// password with them, so it needs a yes typed at the terminal.
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

fn status(flow: &AccountFlow, json: bool) -> Result<()> {
    let link = flow.link()?;
    let (vault_link, pending, connected) = if flow.files().vault_exists() {
        let vault = flow.files().open_vault()?;
        let connected = match &link {
            Some(link) => link_state(&vault, link.account_id)? == LinkState::ThisAccount,
            None => false,
        };
        (vault.sync_link()?, Some(vault.pending_count()?), connected)
    } else {
        (None, None, false)
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

async fn devices(flow: &AccountFlow, args: DevicesArgs, json: bool) -> Result<()> {
    let session = signed_in(flow)?;
    if let Some(device_id) = args.revoke {
        flow.revoke_device(&session, device_id).await?;
        if json {
            output::json(&json!({ "revoked": device_id }));
        } else {
            println!("Device {device_id} is signed out of the account.");
        }
        return Ok(());
    }
    let list = flow.devices(&session).await?;
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

async fn logout(flow: &AccountFlow, args: LogoutArgs, input: &mut Input, json: bool) -> Result<()> {
    if args.remove_local_vault
        && !args.yes
        && !input
            .confirm("Delete this computer's copy of the vault? The account keeps its copy.")?
    {
        bail!(UsageError("nothing was changed".into()));
    }
    let session = flow.resume()?;
    flow.sign_out(
        session.as_ref(),
        !args.remove_local_vault,
        &NoOpenVault,
        || {},
    )
    .await?;
    if json {
        output::json(&json!({ "signed_out": true, "local_vault_kept": !args.remove_local_vault }));
    } else if args.remove_local_vault {
        println!("Signed out; this computer's copy of the vault is deleted.");
    } else {
        println!("Signed out; the vault stays on this computer as a local vault.");
    }
    Ok(())
}

async fn password(flow: &AccountFlow, input: &mut Input, json: bool) -> Result<()> {
    let session = signed_in(flow)?;
    let current = input.secret("Current account password: ")?;
    let new = input.new_secret("New account password (not your master password): ")?;
    let changed = flow.change_password(&session, &current, &new).await?;
    if json {
        output::json(&changed);
    } else {
        println!(
            "The account password is changed. {} other device(s) were signed out; they sign in \
             again with the new password. Your master password is unchanged.",
            changed.other_devices_signed_out
        );
    }
    Ok(())
}

async fn two_step(
    flow: &AccountFlow,
    args: TwoStepArgs,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let session = signed_in(flow)?;
    let enabled = args.state == "on";
    let password = input.secret("Account password: ")?;
    flow.set_two_step(&session, &password, enabled).await?;
    if json {
        output::json(&json!({ "two_step_enabled": enabled }));
    } else if enabled {
        println!("2-step verification is on: every sign-in asks for a code sent by SMS.");
    } else {
        println!("2-step verification is off: signing in needs only the account password.");
    }
    Ok(())
}

async fn delete(flow: &AccountFlow, args: DeleteArgs, input: &mut Input, json: bool) -> Result<()> {
    let session = signed_in(flow)?;
    let email = session.link().email.clone();
    let confirmation = match args.confirm {
        Some(typed) => typed,
        None => {
            eprintln!(
                "This deletes the Keyhaven Account {email}, its devices and its copy of the vault, \
                 for good. This computer keeps its vault as a local vault."
            );
            input.line(&format!("Type {email} to confirm: "))?
        }
    };
    let password = input.secret("Account password: ")?;
    flow.delete_account(&session, &password, &confirmation, &NoOpenVault)
        .await?;
    if json {
        output::json(&json!({ "deleted": true, "local_vault_kept": flow.files().vault_exists() }));
    } else {
        println!(
            "The account {email} is deleted. The vault stays on this computer as a local vault."
        );
    }
    Ok(())
}
