//! Background sync for a running app: syncs on request (unlock, *Sync now*, the service's
//! announcement of a new revision), shortly after local changes (debounced), and periodically;
//! backs off while offline; and reports a status the UI always shows.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::error::ClientError;
use crate::session::Session;
use crate::sync::{sync_once_telling, PushProgress, SyncReport, VaultAccess};

/// Local edits wait this long for more edits before they are pushed together.
pub const DEBOUNCE: Duration = Duration::from_millis(400);
/// A sync also runs this often, in case an announcement was missed.
pub const PERIOD: Duration = Duration::from_secs(300);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

/// Where syncing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Not signed in, or the vault is not connected: nothing leaves this computer.
    NotConnected,
    /// Everything here is on the service and the other way round, as of `last_synced_at`.
    Synced,
    Syncing,
    /// The service cannot be reached; changes wait here.
    Offline,
    /// The session ended; nothing syncs until the person signs in again.
    SignInRequired,
    /// The vault is locked; syncing resumes on unlock.
    Locked,
    /// What the service returned did not match what the account's devices wrote (DESIGN §5a):
    /// nothing here changed and nothing is pushed until it does (`error` says what failed).
    Unverified,
    /// The last sync failed for another reason (`error` says which).
    Failed,
}

/// The status line's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncStatus {
    pub state: SyncState,
    /// Milliseconds since the Unix epoch of the last completed sync.
    pub last_synced_at: Option<i64>,
    /// What the last failure was, in words, for `Failed`, `Offline` and `Unverified`.
    pub error: Option<String>,
    /// Values the last completed sync kept only in item histories (items flagged for review).
    pub conflicts: u32,
    /// While a sync pushes many changes (after an import, say): how many the service took.
    pub sending: Option<PushProgress>,
}

impl SyncStatus {
    /// The status of a vault that does not sync.
    pub fn not_connected() -> Self {
        Self {
            state: SyncState::NotConnected,
            last_synced_at: None,
            error: None,
            conflicts: 0,
            sending: None,
        }
    }
}

type StatusListener = Box<dyn Fn(&SyncStatus, Option<&SyncReport>) + Send + Sync>;

/// A running sync worker; dropping it stops it.
pub struct SyncWorker {
    now: Arc<Notify>,
    changed: Arc<Notify>,
    status: Arc<Mutex<SyncStatus>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl SyncWorker {
    /// Starts syncing `vault` with `session`'s account on `runtime`; `on_status` hears every
    /// status change (with the report when a sync completed). The first sync runs at once.
    pub fn start<V: VaultAccess + 'static>(
        runtime: &tokio::runtime::Handle,
        session: Arc<Session>,
        vault: Arc<V>,
        on_status: impl Fn(&SyncStatus, Option<&SyncReport>) + Send + Sync + 'static,
    ) -> Self {
        let now = Arc::new(Notify::new());
        let changed = Arc::new(Notify::new());
        let status = Arc::new(Mutex::new(SyncStatus {
            state: SyncState::Syncing,
            ..SyncStatus::not_connected()
        }));
        let listener: Arc<StatusListener> = Arc::new(Box::new(on_status));
        let sync_loop = runtime.spawn(run_loop(
            session.clone(),
            vault.clone(),
            now.clone(),
            changed.clone(),
            status.clone(),
            listener,
        ));
        let announcements = runtime.spawn(listen(session, vault, now.clone()));
        now.notify_one();
        Self {
            now,
            changed,
            status,
            tasks: vec![sync_loop, announcements],
        }
    }

    /// Syncs as soon as possible (unlock, *Sync now*).
    pub fn sync_now(&self) {
        self.now.notify_one();
    }

    /// A local change was made: syncs after [`DEBOUNCE`] without further changes.
    pub fn local_change(&self) {
        self.changed.notify_one();
    }

    pub fn status(&self) -> SyncStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn run_loop<V: VaultAccess>(
    session: Arc<Session>,
    vault: Arc<V>,
    now: Arc<Notify>,
    changed: Arc<Notify>,
    status: Arc<Mutex<SyncStatus>>,
    listener: Arc<StatusListener>,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut retry_in: Option<Duration> = None;
    loop {
        let wait = retry_in.unwrap_or(PERIOD);
        tokio::select! {
            () = now.notified() => {}
            () = changed.notified() => {
                // Coalesce a burst of edits; an explicit request cuts the wait short.
                tokio::select! {
                    () = tokio::time::sleep(DEBOUNCE) => {}
                    () = now.notified() => {}
                }
            }
            () = tokio::time::sleep(wait) => {}
        }
        let set = |state: SyncState, error: Option<String>, report: Option<&SyncReport>| {
            let snapshot = {
                let mut current = status.lock().unwrap_or_else(PoisonError::into_inner);
                current.state = state;
                current.error = error;
                current.sending = None;
                if let Some(report) = report {
                    current.last_synced_at = Some(now_ms());
                    current.conflicts = u32::try_from(report.conflicts).unwrap_or(u32::MAX);
                }
                current.clone()
            };
            listener(&snapshot, report);
        };
        set(SyncState::Syncing, None, None);
        let on_push = |progress: PushProgress| {
            let snapshot = {
                let mut current = status.lock().unwrap_or_else(PoisonError::into_inner);
                current.sending = Some(progress);
                current.clone()
            };
            listener(&snapshot, None);
        };
        match sync_once_telling(&session, vault.as_ref(), &on_push).await {
            Ok(report) => {
                backoff = FIRST_BACKOFF;
                retry_in = None;
                set(SyncState::Synced, None, Some(&report));
            }
            Err(err) => {
                let error = Some(err.to_string());
                let state = match &err {
                    ClientError::Offline(_) => SyncState::Offline,
                    ClientError::SignInRequired => SyncState::SignInRequired,
                    ClientError::Vault(keyhaven_vault::VaultError::Locked) => SyncState::Locked,
                    ClientError::Vault(vault) if vault.is_unverified_service_data() => {
                        SyncState::Unverified
                    }
                    _ => SyncState::Failed,
                };
                tracing::info!(code = err.code_str(), "sync did not complete");
                match state {
                    SyncState::SignInRequired | SyncState::Locked => retry_in = None,
                    _ => {
                        retry_in = Some(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                set(state, error, None);
                if state == SyncState::SignInRequired {
                    return;
                }
            }
        }
    }
}

/// Listens to the service's revision announcements and asks for a sync when the account's
/// vault moved past what this device has; reconnects with backoff.
async fn listen<V: VaultAccess>(session: Arc<Session>, vault: Arc<V>, now: Arc<Notify>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let events = match session.access_token().await {
            Ok(token) => session.api().events(&token).await,
            Err(err) => Err(err),
        };
        match events {
            Ok(mut events) => {
                backoff = FIRST_BACKOFF;
                while let Some(Ok(event)) = events.next().await {
                    let have = vault
                        .with_vault(|v| v.sync_link())
                        .ok()
                        .flatten()
                        .map_or(0, |link| link.revision);
                    if event.revision > have {
                        now.notify_one();
                    }
                }
            }
            Err(ClientError::SignInRequired) => return,
            Err(_) => {}
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
