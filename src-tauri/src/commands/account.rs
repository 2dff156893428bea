//! Keyhaven Account: sign up, sign in with the SMS step, connect the vault, sync, devices, the
//! account's settings, sign out. One call each into [`AccountState`], which holds
//! `keyhaven-client`'s account steps; the types are the client's and the protocol's.

use keyhaven_client::account::{
    mask_email, PasswordChanged, PasswordSignIn, SignInMethodsView, SignUp, Step,
};
use keyhaven_client::browser_sign_in::RedeemDetails;
use keyhaven_client::worker::SyncStatus;
use keyhaven_protocol::accounts::{AccountInfo, SmsChallenge};
use keyhaven_protocol::devices::Device;
use keyhaven_protocol::statement::Statement;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::account_state::AccountState;
use crate::error::CommandError;
use crate::state::AppState;

/// Who this device is signed in as, and how syncing goes.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct AccountView {
    pub signed_in: bool,
    pub email: Option<String>,
    pub service_url: String,
    pub device_id: Option<Uuid>,
    /// Another OS user of this computer is connected to the same account (they share the vault).
    pub other_os_user_connected: bool,
    pub sync: SyncStatus,
}

/// This device's account and sync status.
#[tauri::command]
#[specta::specta]
pub fn account_status(account: State<'_, AccountState>) -> AccountView {
    account_view(&account)
}

/// The view of `account` the UI shows (also sent with every sync status change).
pub fn account_view(account: &AccountState) -> AccountView {
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
            .unwrap_or_else(SyncStatus::not_connected),
    }
}

/// The Web-Portal Statement a new account accepts.
#[tauri::command]
#[specta::specta]
pub async fn get_statement(account: State<'_, AccountState>) -> Result<Statement, CommandError> {
    Ok(account.statement().await?)
}

/// Starts creating an account; a code goes to `phone` (as typed).
#[tauri::command]
#[specta::specta]
pub async fn sign_up(
    account: State<'_, AccountState>,
    email: String,
    password: String,
    phone: String,
    accepted_statement_version: i64,
) -> Result<Step, CommandError> {
    let password = Zeroizing::new(password);
    let request = SignUp {
        email,
        password: &password,
        phone,
        accepted_statement_version,
    };
    Ok(account.sign_up(request).await?)
}

/// Signs in with email and account password (and the newer statement version, once accepted).
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    account: State<'_, AccountState>,
    email: String,
    password: String,
    accepted_statement_version: Option<i64>,
) -> Result<Step, CommandError> {
    let password = Zeroizing::new(password);
    let request = PasswordSignIn {
        email,
        password: &password,
        accepted_statement_version,
        share_with_apps: false,
    };
    Ok(account.sign_in(request).await?)
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
pub async fn suite_offer(
    account: State<'_, AccountState>,
) -> Result<Option<SuiteOffer>, CommandError> {
    Ok(account.suite_offer().await.map(|suite| SuiteOffer {
        email_hint: mask_email(&suite.email),
        published_by: suite.published_by,
    }))
}

/// Signs in with the suite session (the other app stays signed in), then the vault step.
#[tauri::command]
#[specta::specta]
pub async fn continue_with_suite(
    account: State<'_, AccountState>,
    accepted_statement_version: Option<i64>,
) -> Result<Step, CommandError> {
    Ok(account
        .continue_with_suite(accepted_statement_version)
        .await?)
}

/// The sign-in providers to offer ("google", "facebook", "apple"): those the service has.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_providers(
    account: State<'_, AccountState>,
) -> Result<Vec<String>, CommandError> {
    Ok(account.sign_in_providers().await?)
}

/// Starts signing in with Google, Facebook or Apple: opens the browser and returns its URL.
#[tauri::command]
#[specta::specta]
pub async fn start_browser_sign_in(
    account: State<'_, AccountState>,
    provider: String,
) -> Result<String, CommandError> {
    Ok(account.start_browser_sign_in(&provider).await?)
}

/// Waits for the browser sign-in to come back, then signs in (or asks for what is missing).
#[tauri::command]
#[specta::specta]
pub async fn finish_browser_sign_in(
    account: State<'_, AccountState>,
) -> Result<Step, CommandError> {
    Ok(account.finish_browser_sign_in().await?)
}

/// Goes on with a browser sign-in the service asked more of: the accepted statement version and
/// a mobile number (new account), or the existing account's password (link).
#[tauri::command]
#[specta::specta]
pub async fn continue_browser_sign_in(
    account: State<'_, AccountState>,
    accepted_statement_version: Option<i64>,
    phone: Option<String>,
    password: Option<String>,
) -> Result<Step, CommandError> {
    let password = password.map(Zeroizing::new);
    let details = RedeemDetails {
        accepted_statement_version,
        phone,
        password: password.as_deref().map(|p| p.as_str().into()),
    };
    Ok(account.continue_browser_sign_in(details).await?)
}

/// Stops waiting for the browser and forgets the browser sign-in.
#[tauri::command]
#[specta::specta]
pub fn cancel_browser_sign_in(account: State<'_, AccountState>) {
    account.cancel_browser_sign_in();
}

/// Confirms the SMS code (as typed); this device is then signed in.
#[tauri::command]
#[specta::specta]
pub async fn verify_code(
    account: State<'_, AccountState>,
    code: String,
) -> Result<Step, CommandError> {
    Ok(account.verify(&code).await?)
}

/// Sends a new SMS code (allowed once the cooldown has passed).
#[tauri::command]
#[specta::specta]
pub async fn resend_code(account: State<'_, AccountState>) -> Result<SmsChallenge, CommandError> {
    Ok(account.resend().await?)
}

/// Forgets a sign-in or sign-up waiting for its code.
#[tauri::command]
#[specta::specta]
pub fn cancel_sign_in(account: State<'_, AccountState>) {
    account.cancel_pending();
}

/// Connects this computer's vault to the account with the master password the connect step
/// asked for, opens it and starts syncing. When another OS user of this computer uses the
/// account, `share_with_other_os_user` must carry the person's explicit agreement.
#[tauri::command]
#[specta::specta]
pub async fn connect_vault(
    state: State<'_, AppState>,
    account: State<'_, AccountState>,
    master_password: String,
    share_with_other_os_user: bool,
) -> Result<(), CommandError> {
    let master_password = Zeroizing::new(master_password);
    account
        .connect_vault(&state, &master_password, share_with_other_os_user)
        .await?;
    Ok(())
}

/// Syncs now.
#[tauri::command]
#[specta::specta]
pub fn sync_now(state: State<'_, AppState>, account: State<'_, AccountState>) {
    account.start_syncing(&state);
    account.sync_now();
}

/// The account's devices.
#[tauri::command]
#[specta::specta]
pub async fn list_devices(account: State<'_, AccountState>) -> Result<Vec<Device>, CommandError> {
    Ok(account.devices().await?.devices)
}

/// Signs one of the account's other devices out.
#[tauri::command]
#[specta::specta]
pub async fn revoke_device(
    account: State<'_, AccountState>,
    device_id: Uuid,
) -> Result<(), CommandError> {
    Ok(account.revoke_device(device_id).await?)
}

/// The account's sign-in methods: its password, its linked providers, what can be added and
/// whether one can be removed.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_methods(
    account: State<'_, AccountState>,
) -> Result<SignInMethodsView, CommandError> {
    Ok(account.sign_in_methods().await?)
}

/// Waits for the browser sign-in started with `start_browser_sign_in` for *Add …*, then links
/// that provider to the account.
#[tauri::command]
#[specta::specta]
pub async fn finish_adding_sign_in_method(
    account: State<'_, AccountState>,
) -> Result<SignInMethodsView, CommandError> {
    Ok(account.finish_adding_sign_in_method().await?)
}

/// Unlinks one provider (never the account's last way to sign in).
#[tauri::command]
#[specta::specta]
pub async fn remove_sign_in_method(
    account: State<'_, AccountState>,
    id: String,
) -> Result<SignInMethodsView, CommandError> {
    Ok(account.remove_sign_in_method(&id).await?)
}

/// Signs this computer out of the account; keeps the vault as a local one or deletes it here.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(
    state: State<'_, AppState>,
    account: State<'_, AccountState>,
    keep_local_copy: bool,
) -> Result<AccountView, CommandError> {
    account.sign_out(&state, keep_local_copy).await?;
    Ok(account_view(&account))
}

/// The signed-in account's details (masked phone number, 2-step verification).
#[tauri::command]
#[specta::specta]
pub async fn account_details(
    account: State<'_, AccountState>,
) -> Result<AccountInfo, CommandError> {
    Ok(account.info().await?)
}

/// Starts changing the phone number security codes go to; the account password confirms it.
#[tauri::command]
#[specta::specta]
pub async fn change_phone(
    account: State<'_, AccountState>,
    password: String,
    phone: String,
) -> Result<SmsChallenge, CommandError> {
    let password = Zeroizing::new(password);
    Ok(account.change_phone(&password, phone).await?)
}

/// Confirms the phone change with the code (as typed) sent to the new number.
#[tauri::command]
#[specta::specta]
pub async fn confirm_phone_change(
    account: State<'_, AccountState>,
    code: String,
) -> Result<(), CommandError> {
    Ok(account.confirm_phone_change(&code).await?)
}

/// Starts giving an account made with a provider an account password; a code goes to the
/// account's phone.
#[tauri::command]
#[specta::specta]
pub async fn add_account_password(
    account: State<'_, AccountState>,
    password: String,
) -> Result<SmsChallenge, CommandError> {
    let password = Zeroizing::new(password);
    Ok(account.add_account_password(&password).await?)
}

/// Confirms the new account password with the code (as typed) sent to the account's phone.
#[tauri::command]
#[specta::specta]
pub async fn confirm_account_password(
    account: State<'_, AccountState>,
    code: String,
) -> Result<(), CommandError> {
    Ok(account.confirm_account_password(&code).await?)
}

/// Replaces the account password (the current one confirms it); the account's other devices
/// are signed out. The master password and the vault are not touched.
#[tauri::command]
#[specta::specta]
pub async fn change_account_password(
    account: State<'_, AccountState>,
    current_password: String,
    new_password: String,
) -> Result<PasswordChanged, CommandError> {
    let current = Zeroizing::new(current_password);
    let new = Zeroizing::new(new_password);
    Ok(account.change_password(&current, &new).await?)
}

/// Turns 2-step verification on or off; the account password confirms it.
#[tauri::command]
#[specta::specta]
pub async fn set_two_step(
    account: State<'_, AccountState>,
    password: String,
    enabled: bool,
) -> Result<(), CommandError> {
    let password = Zeroizing::new(password);
    Ok(account.set_two_step(&password, enabled).await?)
}

/// Deletes the account for good: the account password and the account's email, typed, confirm
/// it. This computer's vault stays as a local vault.
#[tauri::command]
#[specta::specta]
pub async fn delete_account(
    state: State<'_, AppState>,
    account: State<'_, AccountState>,
    password: String,
    confirmation: String,
) -> Result<AccountView, CommandError> {
    let password = Zeroizing::new(password);
    account
        .delete_account(&state, &password, &confirmation)
        .await?;
    Ok(account_view(&account))
}
