//! Sessions, connecting vaults and syncing, against the real service on loopback and the real
//! Secret Service (run inside `scripts/with-keyring.sh`, as `make test` does).

use std::sync::{Arc, Mutex};

use keyhaven_client::connect::{attach_vault, cloud_vault};
use keyhaven_client::session::{Session, SessionStore};
use keyhaven_client::sync::sync_once;
use keyhaven_client::worker::{SyncState, SyncWorker};
use keyhaven_client::{ApiClient, ClientError};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{ItemContent, ItemDraft, Login, SecureNote};
use keyhaven_vault::Vault;
use tempfile::TempDir;

use keyhaven_testkit::service::{account, service, sign_in, Service};

const MASTER: &str = "correct horse battery staple";
const FAST: KdfParams = KdfParams::MINIMUM;

fn require_keyring() {
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "these tests need a Secret Service: run them through scripts/with-keyring.sh"
    );
}

/// One device: its own data dir, session file and vault file.
struct Device {
    dir: TempDir,
    store: SessionStore,
}

impl Device {
    fn new(program: &str) -> Self {
        let dir = TempDir::new().unwrap();
        let store = SessionStore::new(dir.path().join("account.json"), program);
        Self { dir, store }
    }

    fn vault_path(&self) -> std::path::PathBuf {
        self.dir.path().join("vault.sqlite")
    }

    async fn connect(
        &self,
        service: &Service,
        grant: keyhaven_protocol::sessions::SessionGrant,
    ) -> (Session, Arc<Mutex<Vault>>) {
        let api = ApiClient::new(&service.base).unwrap();
        let session = Session::establish(api, &service.base, grant, self.store.clone()).unwrap();
        let vault = attach_vault(&session, &self.vault_path(), MASTER, FAST, false)
            .await
            .unwrap();
        (session, Arc::new(Mutex::new(vault)))
    }
}

fn login(title: &str, username: &str, password: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::Login(Login {
            username: username.into(),
            password: password.into(),
            ..Login::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

fn note(title: &str, text: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::SecureNote(SecureNote {
            notes: text.into(),
            ..SecureNote::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

fn items(vault: &Mutex<Vault>) -> Vec<keyhaven_vault::item::Item> {
    let mut items = vault.lock().unwrap().items().unwrap();
    items.sort_by_key(|i| i.id);
    items
}

fn draft_of(vault: &Mutex<Vault>, id: uuid::Uuid) -> ItemDraft {
    vault.lock().unwrap().get(id).unwrap().to_draft()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_gets_every_item_and_offline_edits_converge_without_loss() {
    require_keyring();
    let mut service = service().await;
    let (a, b) = (Device::new("test-a"), Device::new("test-b"));

    // A: first device of the account creates the cloud vault and adds items.
    let grant = account(&service).await;
    let api = ApiClient::new(&service.base).unwrap();
    let session_a = Session::establish(api, &service.base, grant, a.store.clone()).unwrap();
    assert!(
        cloud_vault(&session_a).await.unwrap().is_none(),
        "the account has no vault yet"
    );
    let vault_a = Arc::new(Mutex::new(
        attach_vault(&session_a, &a.vault_path(), MASTER, FAST, false)
            .await
            .unwrap(),
    ));
    let (github, bank, diary) = {
        let mut v = vault_a.lock().unwrap();
        (
            v.add(login("GitHub", "ada", "gh-1")).unwrap(),
            v.add(login("Bank", "ada", "bank-1")).unwrap(),
            v.add(note("Diary", "dear diary")).unwrap(),
        )
    };
    let report = sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    assert_eq!(report.pushed, 3);

    // B: signs in with the SMS step; a wrong master password writes nothing; the right one gets everything.
    let grant = sign_in(&service, "desktop").await;
    let session_b = Session::establish(
        ApiClient::new(&service.base).unwrap(),
        &service.base,
        grant,
        b.store.clone(),
    )
    .unwrap();
    assert!(
        cloud_vault(&session_b).await.unwrap().is_some(),
        "B unlocks the account's vault"
    );
    let wrong = attach_vault(
        &session_b,
        &b.vault_path(),
        "not the master password",
        FAST,
        false,
    )
    .await;
    assert_eq!(wrong.unwrap_err().code_str(), "wrong_master_password");
    assert!(!b.vault_path().exists());
    let vault_b = Arc::new(Mutex::new(
        attach_vault(&session_b, &b.vault_path(), MASTER, FAST, false)
            .await
            .unwrap(),
    ));
    let report = sync_once(&session_b, vault_b.as_ref()).await.unwrap();
    assert_eq!(report.pulled, 3);
    assert_eq!(items(&vault_a), items(&vault_b));

    // The service dies; both edit offline.
    service.stop();
    {
        let mut v = vault_a.lock().unwrap();
        v.update(github.id, login("GitHub", "ada", "gh-from-a"))
            .unwrap();
        v.update(bank.id, login("Bank (joint)", "ada", "bank-1"))
            .unwrap();
        v.update(diary.id, note("Diary", "written on A")).unwrap();
    }
    {
        let mut v = vault_b.lock().unwrap();
        v.update(github.id, login("GitHub", "ada.lovelace", "gh-from-b"))
            .unwrap();
        v.delete(bank.id).unwrap();
        v.add(login("New on B", "bob", "x")).unwrap();
    }
    let offline = sync_once(&session_a, vault_a.as_ref()).await.unwrap_err();
    assert!(matches!(offline, ClientError::Offline(_)), "{offline:?}");
    assert_eq!(
        vault_a.lock().unwrap().pending_changes().unwrap().len(),
        3,
        "the edits wait"
    );

    // It comes back: sync A, B, A again and both hold the same items.
    service.restart();
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    let report = sync_once(&session_b, vault_b.as_ref()).await.unwrap();
    assert_eq!(
        report.conflicts, 1,
        "only GitHub's password changed on both sides"
    );
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    assert_eq!(items(&vault_a), items(&vault_b));
    assert!(vault_a
        .lock()
        .unwrap()
        .pending_changes()
        .unwrap()
        .is_empty());

    let merged = vault_b.lock().unwrap().get(github.id).unwrap();
    assert_eq!(
        merged.to_draft(),
        login("GitHub", "ada.lovelace", "gh-from-a"),
        "remote password, B's username"
    );
    assert!(
        merged
            .password_history
            .iter()
            .any(|e| e.password == "gh-from-b"),
        "B's password kept"
    );
    assert!(merged.needs_review);
    assert_eq!(
        draft_of(&vault_b, bank.id),
        login("Bank (joint)", "ada", "bank-1"),
        "the edit beat the delete"
    );
    assert_eq!(draft_of(&vault_b, diary.id), note("Diary", "written on A"));
    assert_eq!(items(&vault_a).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_token_lives_in_the_keyring_rotates_and_a_revoked_device_must_sign_in_again() {
    require_keyring();
    let service = service().await;
    let a = Device::new("test-revoke-a");
    let (session_a, vault_a) = a.connect(&service, account(&service).await).await;
    let b = Device::new("test-revoke-b");
    let (session_b, vault_b) = b.connect(&service, sign_in(&service, "phone").await).await;
    drop(session_b);

    // Nothing secret in the link file.
    let link_file = std::fs::read_to_string(a.dir.path().join("account.json")).unwrap();
    assert!(!link_file.contains("token"), "{link_file}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(a.dir.path().join("account.json"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // A resumed session (as after a restart) refreshes from the keyring, and keeps working.
    let resumed_b = Session::resume(b.store.clone()).unwrap().unwrap();
    sync_once(&resumed_b, vault_b.as_ref()).await.unwrap();
    let again_b = Session::resume(b.store.clone()).unwrap().unwrap();
    sync_once(&again_b, vault_b.as_ref()).await.unwrap();

    // A revokes B: B's next sync says it must sign in again, and keeps its vault.
    let b_device = resumed_b.link().device_id;
    session_a
        .authed(|api, token| async move { api.revoke_device(&token, b_device).await })
        .await
        .unwrap();
    let fresh_b = Session::resume(b.store.clone()).unwrap().unwrap();
    let err = sync_once(&fresh_b, vault_b.as_ref()).await.unwrap_err();
    assert!(matches!(err, ClientError::SignInRequired), "{err:?}");
    assert!(vault_b.lock().unwrap().is_unlocked());

    // Signing out forgets the session here.
    let resumed_a = Session::resume(a.store.clone()).unwrap().unwrap();
    sync_once(&resumed_a, vault_a.as_ref()).await.unwrap();
    resumed_a.sign_out().await.unwrap();
    assert!(a.store.link().unwrap().is_none());
    assert!(Session::resume(a.store.clone()).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_pushes_local_changes_and_pulls_announced_ones_by_itself() {
    require_keyring();
    let service = service().await;
    let a = Device::new("test-worker-a");
    let (session_a, vault_a) = a.connect(&service, account(&service).await).await;
    let b = Device::new("test-worker-b");
    let (session_b, vault_b) = b.connect(&service, sign_in(&service, "phone").await).await;

    let runtime = tokio::runtime::Handle::current();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker_a = SyncWorker::start(&runtime, Arc::new(session_a), vault_a.clone(), |_, _| {});
    let _worker_b = SyncWorker::start(
        &runtime,
        Arc::new(session_b),
        vault_b.clone(),
        move |status, report| {
            if let Some(report) = report {
                let _ = tx.send((status.state, report.pulled));
            }
        },
    );

    let item = vault_a
        .lock()
        .unwrap()
        .add(login("Shared", "ada", "pw"))
        .unwrap();
    worker_a.local_change();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (state, _) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("B synced in time")
            .unwrap();
        assert_eq!(state, SyncState::Synced);
        if vault_b.lock().unwrap().get(item.id).is_ok() {
            break;
        }
    }
    // A may be in a further sync (its own announcement of the revision it just made).
    let settled = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while worker_a.status().state != SyncState::Synced {
        assert!(
            tokio::time::Instant::now() < settled,
            "A never settled: {:?}",
            worker_a.status()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(worker_a.status().last_synced_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_vault_becomes_the_cloud_vault_of_a_new_account_and_another_vault_is_refused() {
    require_keyring();
    let service = service().await;
    let a = Device::new("test-local-a");
    let mut local = Vault::create(&a.vault_path(), MASTER.as_bytes(), FAST).unwrap();
    let kept = local.add(login("Kept from before", "ada", "pw")).unwrap();
    drop(local);

    let (session_a, vault_a) = a.connect(&service, account(&service).await).await;
    let report = sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    assert_eq!(report.pushed, 1, "the local item went up");

    let b = Device::new("test-local-b");
    let (session_b, vault_b) = b.connect(&service, sign_in(&service, "phone").await).await;
    sync_once(&session_b, vault_b.as_ref()).await.unwrap();
    assert_eq!(
        vault_b.lock().unwrap().get(kept.id).unwrap().title,
        "Kept from before"
    );

    // A computer with a different vault of its own is refused and keeps it untouched.
    let c = Device::new("test-local-c");
    let mut other = Vault::create(&c.vault_path(), MASTER.as_bytes(), FAST).unwrap();
    other.add(login("Mine", "eve", "pw")).unwrap();
    drop(other);
    let api = ApiClient::new(&service.base).unwrap();
    let session_c = Session::establish(
        api,
        &service.base,
        sign_in(&service, "third").await,
        c.store.clone(),
    )
    .unwrap();
    let err = attach_vault(&session_c, &c.vault_path(), MASTER, FAST, false)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::VaultDiffers), "{err:?}");
    let mut untouched = Vault::open(&c.vault_path()).unwrap();
    untouched.unlock(MASTER.as_bytes()).unwrap();
    assert_eq!(untouched.list().unwrap().len(), 1);
    assert_eq!(untouched.sync_link().unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_vault_merges_into_the_accounts_vault_folding_exact_duplicates_and_an_interrupted_merge_resumes(
) {
    use keyhaven_client::account::{merge_into_cloud_vault, DataDir, MergeReport};
    let merging_path = |vault: &std::path::Path| DataDir::for_vault(vault).merging();
    require_keyring();
    let mut service = service().await;
    // The account's vault, made on another device, with two items.
    let a = Device::new("test-merge-a");
    let (session_a, vault_a) = a.connect(&service, account(&service).await).await;
    for draft in [login("GitHub", "ada", "gh-1"), note("Wifi", "hunter2")] {
        vault_a.lock().unwrap().add(draft).unwrap();
    }
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();

    // This computer's local vault, its own master password: one exact duplicate, one item with
    // the same title but another password, one new item.
    let c = Device::new("test-merge-c");
    let mut local = Vault::create(&c.vault_path(), b"the local master password", FAST).unwrap();
    local.add(note("Wifi", "hunter2")).unwrap();
    local.add(login("GitHub", "ada", "gh-local")).unwrap();
    local.add(login("Bank", "ada", "bank-1")).unwrap();
    let local_items = local.items().unwrap();
    let api = ApiClient::new(&service.base).unwrap();
    let session_c = Session::establish(
        api,
        &service.base,
        sign_in(&service, "merge").await,
        c.store.clone(),
    )
    .unwrap();

    // A wrong account master password changes nothing.
    let wrong = merge_into_cloud_vault(
        &session_c,
        &c.vault_path(),
        &local_items,
        "not it",
        false,
        || {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            wrong,
            ClientError::Vault(keyhaven_vault::VaultError::WrongMasterPassword)
        ),
        "{wrong:?}"
    );
    assert!(!merging_path(&c.vault_path()).exists());

    // The service cannot be reached: the local vault stays as it was.
    service.stop();
    let offline = merge_into_cloud_vault(
        &session_c,
        &c.vault_path(),
        &local_items,
        MASTER,
        false,
        || {},
    )
    .await;
    assert!(
        matches!(offline, Err(ClientError::Offline(_))),
        "{offline:?}"
    );
    assert_eq!(
        local.list().unwrap().len(),
        3,
        "the local vault is untouched"
    );
    service.restart();

    // An earlier attempt was killed after building the account's vault beside the local one
    // and adding one local item to it: the next attempt continues from there.
    let info = session_c
        .authed(|api, token| async move { api.vault(&token).await })
        .await
        .unwrap();
    let mut partial = Vault::create_from_key_material(
        &merging_path(&c.vault_path()),
        MASTER.as_bytes(),
        &keyhaven_client::connect::key_material(&info.key_material),
    )
    .unwrap();
    let bank = local_items.iter().find(|i| i.title == "Bank").unwrap();
    assert!(partial.import(bank).unwrap());
    drop(partial);

    let mut closed = false;
    let (merged, report) = merge_into_cloud_vault(
        &session_c,
        &c.vault_path(),
        &local_items,
        MASTER,
        false,
        || closed = true,
    )
    .await
    .unwrap();
    assert!(closed, "the local vault was closed before the swap");
    assert_eq!(
        report,
        MergeReport {
            added: 2,
            folded: 1
        }
    );
    assert!(!merging_path(&c.vault_path()).exists());
    let mut titles: Vec<String> = merged
        .list()
        .unwrap()
        .iter()
        .map(|s| s.title.clone())
        .collect();
    titles.sort();
    assert_eq!(titles, ["Bank", "GitHub", "GitHub", "Wifi"]);
    drop(local);
    let mut reopened = Vault::open(&c.vault_path()).unwrap();
    reopened.unlock(MASTER.as_bytes()).unwrap();
    assert_eq!(
        reopened.list().unwrap().len(),
        4,
        "the account's vault is now this computer's"
    );

    // The other device gets the merged items, once each.
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    assert_eq!(items(&vault_a).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_pushing_at_the_same_moment_both_end_in_one_verified_state() {
    require_keyring();
    let service = service().await;
    let (a, b) = (Device::new("test-race-a"), Device::new("test-race-b"));
    let (session_a, vault_a) = a.connect(&service, account(&service).await).await;
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    let (session_b, vault_b) = b.connect(&service, sign_in(&service, "b").await).await;
    sync_once(&session_b, vault_b.as_ref()).await.unwrap();
    for n in 0..30 {
        vault_a
            .lock()
            .unwrap()
            .add(login(&format!("A {n}"), "a", "p"))
            .unwrap();
        vault_b
            .lock()
            .unwrap()
            .add(login(&format!("B {n}"), "b", "p"))
            .unwrap();
    }
    // Both push on the same revision; one goes first, the other pulls, checks and pushes again.
    let (on_a, on_b) = tokio::join!(
        sync_once(&session_a, vault_a.as_ref()),
        sync_once(&session_b, vault_b.as_ref())
    );
    assert_eq!(on_a.unwrap().pushed + on_b.unwrap().pushed, 60);
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    sync_once(&session_b, vault_b.as_ref()).await.unwrap();
    assert_eq!(items(&vault_a).len(), 60);
    assert_eq!(items(&vault_a), items(&vault_b));
    let last = |vault: &Mutex<Vault>| vault.lock().unwrap().last_change().unwrap().unwrap();
    assert_eq!(
        last(&vault_a),
        last(&vault_b),
        "the same sealed state, verified on both"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_master_password_reaches_the_other_device_and_a_new_one_joins_only_with_it() {
    require_keyring();
    let service = service().await;
    let (a, b, c) = (
        Device::new("test-pw-a"),
        Device::new("test-pw-b"),
        Device::new("test-pw-c"),
    );
    let (session_a, vault_a) = a.connect(&service, account(&service).await).await;
    let item = vault_a
        .lock()
        .unwrap()
        .add(login("GitHub", "ada", "gh"))
        .unwrap();
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    let (session_b, vault_b) = b.connect(&service, sign_in(&service, "b").await).await;
    sync_once(&session_b, vault_b.as_ref()).await.unwrap();

    const NEW: &str = "a brand new and long master password";
    vault_a
        .lock()
        .unwrap()
        .change_master_password(MASTER.as_bytes(), NEW.as_bytes(), FAST)
        .unwrap();
    sync_once(&session_a, vault_a.as_ref()).await.unwrap();
    let report = sync_once(&session_b, vault_b.as_ref()).await.unwrap();
    assert!(report.key_changed);
    assert_eq!(
        draft_of(&vault_b, item.id),
        login("GitHub", "ada", "gh"),
        "B keeps working"
    );
    let path_b = b.vault_path();
    drop(vault_b);
    let mut reopened = Vault::open(&path_b).unwrap();
    assert_eq!(
        reopened.unlock(MASTER.as_bytes()).unwrap_err().code(),
        "master_password_changed"
    );
    reopened.unlock(NEW.as_bytes()).unwrap();

    let grant = sign_in(&service, "c").await;
    let session_c = Session::establish(
        ApiClient::new(&service.base).unwrap(),
        &service.base,
        grant,
        c.store.clone(),
    )
    .unwrap();
    let old = attach_vault(&session_c, &c.vault_path(), MASTER, FAST, false).await;
    assert_eq!(old.unwrap_err().code_str(), "wrong_master_password");
    let vault_c = Mutex::new(
        attach_vault(&session_c, &c.vault_path(), NEW, FAST, false)
            .await
            .unwrap(),
    );
    sync_once(&session_c, &vault_c).await.unwrap();
    assert_eq!(
        vault_c.lock().unwrap().get(item.id).unwrap().to_draft(),
        login("GitHub", "ada", "gh")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_is_pushed_in_batches_and_each_batch_is_told() {
    require_keyring();
    let service = service().await;
    let device = Device::new("test-import");
    let grant = account(&service).await;
    let api = ApiClient::new(&service.base).unwrap();
    let session = Session::establish(api, &service.base, grant, device.store.clone()).unwrap();
    let vault = Arc::new(Mutex::new(
        attach_vault(&session, &device.vault_path(), MASTER, FAST, false)
            .await
            .unwrap(),
    ));
    let items: Vec<keyhaven_vault::item::Item> = (0..1_200)
        .map(|n| {
            keyhaven_vault::item::Item::new(
                login(&format!("Site {n}"), "ada", "pw"),
                uuid::Uuid::new_v4(),
                1_700_000_000_000,
            )
        })
        .collect();
    vault.lock().unwrap().import_all(&items).unwrap();
    let told = Mutex::new(Vec::new());
    let report = keyhaven_client::sync::sync_once_telling(&session, vault.as_ref(), &|p| {
        told.lock().unwrap().push((p.sent, p.total));
    })
    .await
    .unwrap();
    assert_eq!(report.pushed, 1_200);
    assert_eq!(
        told.into_inner().unwrap(),
        [(500, 1_200), (1_000, 1_200), (1_200, 1_200)]
    );
}
