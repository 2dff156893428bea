//! Keyhaven Account: sign up, sign in with the SMS step, connect the vault, sync, devices, sign
//! out. Thin adapters over [`crate::account::Account`] and `keyhaven-client`.

use keyhaven_client::social::RedeemDetails;
use keyhaven_client::worker::{SyncState, SyncStatus};
use keyhaven_protocol::accounts::SmsChallenge;
use keyhaven_vault::crypto::KdfParams;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::account::{Account, SignInResult};
use crate::error::CommandError;
use crate::state::AppState;

/// Where syncing stands, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncStateView {
    /// Not signed in, or the vault is not connected: nothing leaves this computer.
    NotConnected,
    Synced,
    Syncing,
    Offline,
    SignInRequired,
    Locked,
    Failed,
    /// What Keyhaven Account returned did not match what the account's devices wrote: nothing
    /// here changed, nothing is sent until it does.
    Unverified,
}

/// The sync status line's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SyncView {
    pub state: SyncStateView,
    /// Unix milliseconds of the last completed sync.
    pub last_synced_at: Option<f64>,
    pub error: Option<String>,
    /// Values the last sync kept only in item histories (items flagged for review).
    pub conflicts: u32,
}

impl SyncView {
    pub fn not_connected() -> Self {
        Self {
            state: SyncStateView::NotConnected,
            last_synced_at: None,
            error: None,
            conflicts: 0,
        }
    }
}

impl From<&SyncStatus> for SyncView {
    fn from(status: &SyncStatus) -> Self {
        Self {
            state: match status.state {
                SyncState::Synced => SyncStateView::Synced,
                SyncState::Syncing => SyncStateView::Syncing,
                SyncState::Offline => SyncStateView::Offline,
                SyncState::SignInRequired => SyncStateView::SignInRequired,
                SyncState::Locked => SyncStateView::Locked,
                SyncState::Failed => SyncStateView::Failed,
                SyncState::Unverified => SyncStateView::Unverified,
            },
            last_synced_at: status.last_synced_at.map(|ms| ms as f64),
            error: status.error.as_ref().map(|(_, message)| message.clone()),
            conflicts: status.last_report.map_or(0, |r| r.conflicts),
        }
    }
}

/// Who this device is signed in as, and how syncing goes.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct AccountView {
    pub signed_in: bool,
    pub email: Option<String>,
    pub service_url: String,
    pub device_id: Option<Uuid>,
    /// Another OS user of this computer is connected to the same account (they share the vault).
    pub other_os_user_connected: bool,
    pub sync: SyncView,
}

/// An SMS code on its way.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct CodeSent {
    /// The number it went to, masked (`+…23`).
    pub phone_hint: String,
    pub expires_in_seconds: u32,
    pub resend_after_seconds: u32,
}

impl From<SmsChallenge> for CodeSent {
    fn from(c: SmsChallenge) -> Self {
        let secs = |s: u64| u32::try_from(s).unwrap_or(u32::MAX);
        Self {
            phone_hint: c.phone_hint,
            expires_in_seconds: secs(c.expires_in_seconds),
            resend_after_seconds: secs(c.resend_after_seconds),
        }
    }
}

/// The next step after a sign-in, sign-up or code.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ConnectStep {
    /// Enter the SMS code.
    EnterCode { code_sent: CodeSent },
    /// Signed in: set the master password for the account's new vault, or unlock its existing one.
    ConnectVault {
        email: String,
        account_has_vault: bool,
        /// A vault already exists on this computer.
        local_vault_exists: bool,
        /// This computer's vault is another than the account's: its items are added to the
        /// account's vault (unlocked with the account vault's master password).
        merge_local_vault: bool,
        other_os_user_connected: bool,
    },
}

/// The Web-Portal Statement in force.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct StatementView {
    pub version: i64,
    pub text: String,
}

/// One of the account's devices.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct DeviceView {
    pub id: Uuid,
    pub name: String,
    pub platform: String,
    /// Unix milliseconds.
    pub created_at: f64,
    /// Unix milliseconds.
    pub last_seen_at: f64,
    pub current: bool,
}

/// This device's account and sync status.
#[tauri::command]
#[specta::specta]
pub fn account_status(account: State<'_, Account>) -> AccountView {
    account_view(&account)
}

/// The view of `account` the UI shows (also sent with every sync status change).
pub fn account_view(account: &Account) -> AccountView {
    let link = account.link();
    AccountView {
        signed_in: link.is_some(),
        email: link.as_ref().map(|l| l.email.clone()),
        service_url: link.as_ref().map_or_else(
            || account.service_url().to_owned(),
            |l| l.service_url.clone(),
        ),
        device_id: link.as_ref().map(|l| l.device_id),
        other_os_user_connected: link.as_ref().is_some_and(|l| l.other_os_user_connected),
        sync: account
            .sync_status()
            .as_ref()
            .map_or_else(SyncView::not_connected, SyncView::from),
    }
}

/// The Web-Portal Statement a new account accepts.
#[tauri::command]
#[specta::specta]
pub async fn get_statement(account: State<'_, Account>) -> Result<StatementView, CommandError> {
    let statement = account.statement().await?;
    Ok(StatementView {
        version: statement.version,
        text: statement.text,
    })
}

/// Starts creating an account; a code goes to `phone`.
#[tauri::command]
#[specta::specta]
pub async fn sign_up(
    account: State<'_, Account>,
    email: String,
    password: String,
    phone: String,
    accepted_statement_version: i64,
) -> Result<ConnectStep, CommandError> {
    let password = Zeroizing::new(password);
    let challenge = account
        .sign_up(email, &password, phone, accepted_statement_version)
        .await?;
    Ok(ConnectStep::EnterCode {
        code_sent: challenge.into(),
    })
}

/// Signs in with email and account password (and the newer statement version, once accepted).
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    state: State<'_, AppState>,
    account: State<'_, Account>,
    email: String,
    password: String,
    accepted_statement_version: Option<i64>,
) -> Result<ConnectStep, CommandError> {
    let password = Zeroizing::new(password);
    let result = account
        .sign_in(email, &password, accepted_statement_version)
        .await?;
    next_step(&state, &account, result).await
}

/// Another Keyhaven app's sign-in on this computer, offered as "Continue as …".
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct SuiteOffer {
    /// The account's email, masked (`a***@example.com`).
    pub email_hint: String,
    /// Which app published it (`cli`, `desktop`…).
    pub published_by: String,
}

/// The suite session to offer on the welcome screen, if one can sign this app in.
#[tauri::command]
#[specta::specta]
pub async fn suite_offer(account: State<'_, Account>) -> Result<Option<SuiteOffer>, CommandError> {
    Ok(account.suite_offer().await.map(|suite| SuiteOffer {
        email_hint: mask_email(&suite.email),
        published_by: suite.published_by,
    }))
}

/// Signs in with the suite session (the other app stays signed in), then the vault step.
#[tauri::command]
#[specta::specta]
pub async fn continue_with_suite(
    state: State<'_, AppState>,
    account: State<'_, Account>,
    accepted_statement_version: Option<i64>,
) -> Result<ConnectStep, CommandError> {
    account
        .continue_with_suite(accepted_statement_version)
        .await?;
    connect_step(&state, &account).await
}

/// `ada@example.com` → `a***@example.com`.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// The sign-in providers to offer ("google", "facebook", "apple"): those the service has.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_providers(account: State<'_, Account>) -> Result<Vec<String>, CommandError> {
    Ok(account.sign_in_providers().await?)
}

/// Starts signing in with Google, Facebook or Apple: opens the browser and returns its URL.
#[tauri::command]
#[specta::specta]
pub async fn start_browser_sign_in(
    account: State<'_, Account>,
    provider: String,
) -> Result<String, CommandError> {
    Ok(account.start_browser_sign_in(&provider).await?)
}

/// Waits for the browser sign-in to come back, then signs in (or asks for what is missing).
#[tauri::command]
#[specta::specta]
pub async fn finish_browser_sign_in(
    state: State<'_, AppState>,
    account: State<'_, Account>,
) -> Result<ConnectStep, CommandError> {
    let result = account.finish_browser_sign_in().await?;
    next_step(&state, &account, result).await
}

/// Goes on with a browser sign-in the service asked more of: the accepted statement version and
/// a mobile number (new account), or the existing account's password (link).
#[tauri::command]
#[specta::specta]
pub async fn continue_browser_sign_in(
    state: State<'_, AppState>,
    account: State<'_, Account>,
    accepted_statement_version: Option<i64>,
    phone: Option<String>,
    password: Option<String>,
) -> Result<ConnectStep, CommandError> {
    let password = password.map(Zeroizing::new);
    let details = RedeemDetails {
        accepted_statement_version,
        phone,
        password: password.as_deref().map(|p| p.as_str().into()),
    };
    let result = account.continue_browser_sign_in(details).await?;
    next_step(&state, &account, result).await
}

/// Stops waiting for the browser and forgets the browser sign-in.
#[tauri::command]
#[specta::specta]
pub fn cancel_browser_sign_in(account: State<'_, Account>) {
    account.cancel_browser_sign_in();
}

async fn next_step(
    state: &AppState,
    account: &Account,
    result: SignInResult,
) -> Result<ConnectStep, CommandError> {
    match result {
        SignInResult::CodeSent(challenge) => Ok(ConnectStep::EnterCode {
            code_sent: challenge.into(),
        }),
        SignInResult::SignedIn => connect_step(state, account).await,
    }
}

/// Confirms the SMS code; this device is then signed in.
#[tauri::command]
#[specta::specta]
pub async fn verify_code(
    state: State<'_, AppState>,
    account: State<'_, Account>,
    code: String,
) -> Result<ConnectStep, CommandError> {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    account.verify(&code).await?;
    connect_step(&state, &account).await
}

async fn connect_step(state: &AppState, account: &Account) -> Result<ConnectStep, CommandError> {
    let link = account
        .link()
        .ok_or_else(|| CommandError::new("sign_in_required", "not signed in"))?;
    let plan = account.connect_plan(state).await?;
    Ok(ConnectStep::ConnectVault {
        email: link.email,
        account_has_vault: plan.account_has_vault,
        local_vault_exists: state.status().exists,
        merge_local_vault: plan.merge_local_vault,
        other_os_user_connected: link.other_os_user_connected,
    })
}

/// Sends a new SMS code (allowed once the cooldown has passed).
#[tauri::command]
#[specta::specta]
pub async fn resend_code(account: State<'_, Account>) -> Result<CodeSent, CommandError> {
    Ok(account.resend().await?.into())
}

/// Forgets a sign-in or sign-up waiting for its code.
#[tauri::command]
#[specta::specta]
pub fn cancel_sign_in(account: State<'_, Account>) {
    account.cancel_pending();
}

/// Connects this computer's vault to the account with the master password (new for the
/// account's first device, else the account's), opens it and starts syncing. When another OS
/// user of this computer uses the account, `share_with_other_os_user` must carry the person's
/// explicit agreement.
#[tauri::command]
#[specta::specta]
pub async fn connect_vault(
    state: State<'_, AppState>,
    account: State<'_, Account>,
    master_password: String,
    share_with_other_os_user: bool,
) -> Result<(), CommandError> {
    let master_password = Zeroizing::new(master_password);
    account
        .connect_vault(
            &state,
            &master_password,
            KdfParams::default(),
            share_with_other_os_user,
        )
        .await?;
    Ok(())
}

/// Syncs now.
#[tauri::command]
#[specta::specta]
pub fn sync_now(state: State<'_, AppState>, account: State<'_, Account>) {
    account.start_syncing(&state);
    account.sync_now();
}

/// The account's devices.
#[tauri::command]
#[specta::specta]
pub async fn list_devices(account: State<'_, Account>) -> Result<Vec<DeviceView>, CommandError> {
    Ok(account
        .devices()
        .await?
        .devices
        .into_iter()
        .map(|d| DeviceView {
            id: d.id,
            name: d.name,
            platform: d.platform,
            created_at: d.created_at as f64,
            last_seen_at: d.last_seen_at as f64,
            current: d.current,
        })
        .collect())
}

/// Signs one of the account's other devices out.
#[tauri::command]
#[specta::specta]
pub async fn revoke_device(
    account: State<'_, Account>,
    device_id: Uuid,
) -> Result<(), CommandError> {
    Ok(account.revoke_device(device_id).await?)
}

/// Signs this computer out of the account; keeps the vault as a local one or deletes it here.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(
    state: State<'_, AppState>,
    account: State<'_, Account>,
    keep_local_copy: bool,
) -> Result<AccountView, CommandError> {
    account.sign_out(&state, keep_local_copy).await?;
    Ok(account_view(&account))
}

/// The signed-in account's details for Settings.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct AccountDetails {
    /// The number security codes go to, masked (`+…23`).
    pub phone_hint: String,
    pub two_step_enabled: bool,
}

/// The signed-in account's details (masked phone number, 2-step verification).
#[tauri::command]
#[specta::specta]
pub async fn account_details(account: State<'_, Account>) -> Result<AccountDetails, CommandError> {
    let info = account.info().await?;
    Ok(AccountDetails {
        phone_hint: info.phone_hint,
        two_step_enabled: info.two_step_enabled,
    })
}

/// Starts changing the phone number security codes go to; the account password confirms it.
#[tauri::command]
#[specta::specta]
pub async fn change_phone(
    account: State<'_, Account>,
    password: String,
    phone: String,
) -> Result<CodeSent, CommandError> {
    let password = Zeroizing::new(password);
    Ok(account.change_phone(&password, phone).await?.into())
}

/// Confirms the phone change with the code sent to the new number.
#[tauri::command]
#[specta::specta]
pub async fn confirm_phone_change(
    account: State<'_, Account>,
    code: String,
) -> Result<(), CommandError> {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    Ok(account.confirm_phone_change(&code).await?)
}

#[cfg(test)]
mod tests {
    use super::mask_email;

    #[test]
    fn emails_are_masked_to_their_first_letter_and_domain() {
        assert_eq!(mask_email("ada@example.com"), "a***@example.com");
        assert_eq!(mask_email("é@example.com"), "é***@example.com");
        assert_eq!(mask_email("no-at-sign"), "***");
    }
}
