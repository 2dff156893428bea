//! The tampering harness (DESIGN §5a): the real client and the real service, with a lying proxy
//! between them or the service's own database edited between syncs. Every lie ends with its own
//! error code, the device's vault byte for byte as it was, and nothing pushed back; a corrupt
//! blob among many is kept aside while everything else syncs. (Run inside
//! `scripts/with-keyring.sh`, as `make test` does: sessions live in the real Secret Service.)

use std::sync::Mutex;

use keyhaven_client::connect::attach_vault;
use keyhaven_client::session::{Session, SessionStore};
use keyhaven_client::sync::sync_once;
use keyhaven_client::ApiClient;
use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::vault::ChangesPage;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{ItemContent, ItemDraft, Login};
use keyhaven_vault::Vault;
use tempfile::TempDir;
use uuid::Uuid;

use keyhaven_testkit::lying_service::Proxy;
use keyhaven_testkit::service::{account, service, sign_in, Service};

const MASTER: &str = "correct horse battery staple";
const FAST: KdfParams = KdfParams::MINIMUM;

/// One computer of the account, talking to the service through the proxy.
struct Computer {
    _dir: TempDir,
    session: Session,
    vault: Mutex<Vault>,
}

impl Computer {
    async fn connect(proxy: &Proxy, grant: keyhaven_protocol::sessions::SessionGrant) -> Self {
        assert!(
            std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
            "these tests need a Secret Service: run them through scripts/with-keyring.sh"
        );
        let dir = TempDir::new().unwrap();
        let program = format!("tamper-{}", Uuid::new_v4());
        let store = SessionStore::new(dir.path().join("account.json"), &program);
        let api = ApiClient::new(&proxy.base).unwrap();
        let session = Session::establish(api, &proxy.base, grant, store).unwrap();
        let vault = attach_vault(
            &session,
            &dir.path().join("vault.sqlite"),
            MASTER,
            FAST,
            false,
        )
        .await
        .unwrap();
        Self {
            _dir: dir,
            session,
            vault: Mutex::new(vault),
        }
    }

    async fn sync(
        &self,
    ) -> Result<keyhaven_client::sync::SyncReport, keyhaven_client::ClientError> {
        sync_once(&self.session, &self.vault).await
    }

    fn add(&self, title: &str) -> Uuid {
        self.vault
            .lock()
            .unwrap()
            .add(login(title, "ada"))
            .unwrap()
            .id
    }

    fn edit(&self, id: Uuid, title: &str, username: &str) {
        self.vault
            .lock()
            .unwrap()
            .update(id, login(title, username))
            .unwrap();
    }

    fn username(&self, id: Uuid) -> String {
        match self.vault.lock().unwrap().get(id).unwrap().content {
            ItemContent::Login(login) => login.username,
            _ => panic!("not a login"),
        }
    }

    fn rows(&self) -> Vec<String> {
        keyhaven_testkit::vault_rows(self.vault.lock().unwrap().path())
    }

    /// The service's current page of everything, as the client would get it.
    async fn page(&self) -> ChangesPage {
        self.session
            .authed(|api, token| async move { api.changes(&token, 0).await })
            .await
            .unwrap()
    }
}

fn login(title: &str, username: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::Login(Login {
            username: username.into(),
            password: "pw".into(),
            ..Login::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

/// The service, the proxy, and two computers in sync on three items.
struct Scene {
    service: Service,
    proxy: Proxy,
    a: Computer,
    b: Computer,
    items: [Uuid; 3],
}

async fn scene() -> Scene {
    let service = service().await;
    let proxy = Proxy::start(&service.base).await;
    let a = Computer::connect(&proxy, account(&service).await).await;
    let items = [a.add("A"), a.add("B"), a.add("C")];
    a.sync().await.unwrap();
    let b = Computer::connect(&proxy, sign_in(&service, "b").await).await;
    b.sync().await.unwrap();
    Scene {
        service,
        proxy,
        a,
        b,
        items,
    }
}

/// The lie was caught by `computer`: its code, the vault as it was, nothing pushed.
async fn caught(scene: &Scene, computer: &Computer, code: &str) {
    let rows = computer.rows();
    let writes = scene.proxy.writes();
    let err = computer.sync().await.unwrap_err();
    assert_eq!(err.code_str(), code, "{err}");
    assert!(
        err.to_string().starts_with("The Keyhaven Account service returned a vault that does not match what your devices wrote"),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("Nothing was changed on this computer."),
        "{err}"
    );
    assert_eq!(
        computer.rows(),
        rows,
        "the vault is byte for byte as it was"
    );
    assert_eq!(scene.proxy.writes(), writes, "nothing was pushed back");
}

fn sql(scene: &Scene, statement: &str, params: impl rusqlite::Params) {
    let db = rusqlite::Connection::open(scene.service.database()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute(statement, params).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_rolled_back_by_the_service_is_refused() {
    let s = scene().await;
    let [a, ..] = s.items;
    let older =
        s.b.page()
            .await
            .items
            .into_iter()
            .find(|i| i.item_id == a)
            .unwrap();
    s.a.edit(a, "A", "ada.new");
    s.a.sync().await.unwrap();
    s.b.sync().await.unwrap();
    // The older blob again, where the newer one is.
    s.proxy.lie_about_changes(move |page| {
        let mut again = older.clone();
        again.revision = page.revision;
        page.items.push(again);
    });
    caught(&s, &s.b, "vault_state_mismatch").await;
    assert_eq!(s.b.username(a), "ada.new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_while_this_device_edits_another_field_pushes_nothing_back() {
    let s = scene().await;
    let [a, ..] = s.items;
    let older =
        s.b.page()
            .await
            .items
            .into_iter()
            .find(|i| i.item_id == a)
            .unwrap();
    s.a.edit(a, "A", "ada.new");
    s.a.sync().await.unwrap();
    // `b` renames the item meanwhile; its next pull would get the older username back.
    s.b.edit(a, "A (renamed)", "ada");
    s.proxy.lie_about_changes(move |page| {
        page.items.retain(|i| i.item_id != older.item_id);
        let mut again = older.clone();
        again.revision = page.revision;
        page.items.push(again);
    });
    caught(&s, &s.b, "vault_state_mismatch").await;
    s.proxy.honest();
    s.b.sync().await.unwrap();
    assert_eq!(
        s.b.username(a),
        "ada.new",
        "the honest service's change, merged"
    );
    assert_eq!(
        s.b.vault.lock().unwrap().get(a).unwrap().title,
        "A (renamed)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_tombstone_is_refused() {
    let s = scene().await;
    let [_, b, _] = s.items;
    sql(
        &s,
        "UPDATE vault_items SET blob = NULL, revision = revision + 10 WHERE item_id = ?1",
        [b.to_string()],
    );
    sql(&s, "UPDATE vaults SET revision = revision + 10", []);
    caught(&s, &s.b, "vault_state_mismatch").await;
    assert!(
        s.b.vault.lock().unwrap().get(b).is_ok(),
        "the item is still here"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_item_served_again_is_refused() {
    let s = scene().await;
    let [_, _, c] = s.items;
    let alive =
        s.b.page()
            .await
            .items
            .into_iter()
            .find(|i| i.item_id == c)
            .unwrap();
    s.a.vault.lock().unwrap().delete(c).unwrap();
    s.a.sync().await.unwrap();
    s.b.sync().await.unwrap();
    s.proxy.lie_about_changes(move |page| {
        let mut again = alive.clone();
        again.revision = page.revision;
        page.items.push(again);
    });
    caught(&s, &s.b, "vault_state_mismatch").await;
    assert!(
        s.b.vault.lock().unwrap().get(c).is_err(),
        "it stays deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_left_out_of_a_page_is_refused() {
    let s = scene().await;
    let [a, ..] = s.items;
    s.a.edit(a, "A", "ada.new");
    s.a.sync().await.unwrap();
    s.proxy
        .lie_about_changes(move |page| page.items.retain(|i| i.item_id != a));
    caught(&s, &s.b, "vault_state_mismatch").await;
    // A new computer that would get everything but that item.
    s.proxy.honest();
    let c = Computer::connect(&s.proxy, sign_in(&s.service, "c").await).await;
    s.proxy
        .lie_about_changes(move |page| page.items.retain(|i| i.item_id != a));
    let rows = c.rows();
    assert_eq!(
        c.sync().await.unwrap_err().code_str(),
        "vault_state_mismatch"
    );
    assert_eq!(c.rows(), rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_refiled_at_an_older_revision_is_refused() {
    let s = scene().await;
    let [a, ..] = s.items;
    s.a.edit(a, "A", "ada.new");
    s.a.sync().await.unwrap();
    // Below where `b` is: `b` would never be sent it.
    sql(
        &s,
        "UPDATE vault_items SET revision = 1 WHERE item_id = ?1",
        [a.to_string()],
    );
    caught(&s, &s.b, "vault_state_mismatch").await;
    assert_eq!(s.b.username(a), "ada");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_counter_gone_back_is_refused() {
    let s = scene().await;
    let before = s.b.page().await;
    s.a.add("D");
    s.a.sync().await.unwrap();
    s.b.sync().await.unwrap();
    // A restored backup: the older revision with its own, genuine, older state.
    s.proxy.lie_about_changes(move |page| {
        page.revision = before.revision;
        page.next_since = before.revision;
        page.state = before.state.clone();
        page.key_material = before.key_material.clone();
        page.items.clear();
    });
    caught(&s, &s.b, "vault_rolled_back").await;
    // The counter lowered in the database, the state left as it is: it names another revision.
    s.proxy.honest();
    sql(&s, "UPDATE vaults SET revision = revision - 1", []);
    caught(&s, &s.b, "vault_rolled_back").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_state_replayed_is_refused() {
    let s = scene().await;
    let older_state = s.b.page().await.state;
    s.a.add("D");
    s.a.sync().await.unwrap();
    s.proxy
        .lie_about_changes(move |page| page.state = older_state.clone());
    caught(&s, &s.b, "vault_state_mismatch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_key_material_is_refused_and_named() {
    let s = scene().await;
    // Another account's vault key material, in this account's row.
    let other = TempDir::new().unwrap();
    let foreign = Vault::create(
        &other.path().join("v.sqlite"),
        b"another long master password",
        FAST,
    )
    .unwrap();
    let material = foreign.key_material();
    sql(
        &s,
        "UPDATE vaults SET wrapped_vault_key = ?1, salt = ?2, key_check = ?3",
        rusqlite::params![
            material.wrapped_vault_key,
            material.salt,
            material.key_check
        ],
    );
    caught(&s, &s.b, "key_material_mismatch").await;

    // A new computer: another vault's key check says "wrong master password"; this vault's key
    // check with a changed wrapped key says the key material was changed.
    let grant = sign_in(&s.service, "c").await;
    let dir = TempDir::new().unwrap();
    let store = SessionStore::new(dir.path().join("account.json"), "tamper-fresh");
    let session = Session::establish(
        ApiClient::new(&s.proxy.base).unwrap(),
        &s.proxy.base,
        grant,
        store,
    )
    .unwrap();
    let path = dir.path().join("vault.sqlite");
    let err = attach_vault(&session, &path, MASTER, FAST, false)
        .await
        .unwrap_err();
    assert_eq!(err.code_str(), "wrong_master_password", "{err}");
    let mine = s.a.vault.lock().unwrap().key_material();
    let mut changed = mine.wrapped_vault_key.clone();
    changed[20] ^= 1;
    s.proxy.lie_about_vault(move |info| {
        info.key_material.salt = Bytes(mine.salt.clone());
        info.key_material.key_check = mine.key_check.clone().map(Bytes);
        info.key_material.wrapped_vault_key = Bytes(changed.clone());
    });
    let err = attach_vault(&session, &path, MASTER, FAST, false)
        .await
        .unwrap_err();
    assert_eq!(err.code_str(), "key_material_tampered", "{err}");
    assert!(!path.exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_corrupt_blob_among_many_is_quarantined_and_everything_else_syncs() {
    let s = scene().await;
    let more: Vec<Uuid> = (0..20).map(|n| s.a.add(&format!("Item {n}"))).collect();
    s.a.sync().await.unwrap();
    let bad = more[7];
    let db = rusqlite::Connection::open(s.service.database()).unwrap();
    let mut blob: Vec<u8> = db
        .query_row(
            "SELECT blob FROM vault_items WHERE item_id = ?1",
            [bad.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    blob[30] ^= 0xFF;
    db.execute(
        "UPDATE vault_items SET blob = ?2 WHERE item_id = ?1",
        rusqlite::params![bad.to_string(), blob],
    )
    .unwrap();
    drop(db);
    // `b` pulls the twenty new items, one of them corrupt; a new computer pulls everything.
    let report = s.b.sync().await.unwrap();
    assert_eq!((report.pulled, report.quarantined), (19, 1));
    let c = Computer::connect(&s.proxy, sign_in(&s.service, "c").await).await;
    let report = c.sync().await.unwrap();
    assert_eq!((report.pulled, report.quarantined), (22, 1));
    for computer in [&s.b, &c] {
        let vault = computer.vault.lock().unwrap();
        assert_eq!(vault.list().unwrap().len(), 22, "every other item is here");
        let quarantined = vault.quarantined().unwrap();
        assert_eq!(quarantined.len(), 1);
        assert_eq!(quarantined[0].item_id, bad);
        assert!(
            quarantined[0].reason.contains("Keyhaven Account"),
            "names the service: {}",
            quarantined[0].reason
        );
    }
    // Sync goes on, and the item's next honest version resolves it.
    s.a.edit(bad, "Item 7", "fixed");
    s.a.sync().await.unwrap();
    c.sync().await.unwrap();
    assert_eq!(c.username(bad), "fixed");
    assert!(c.vault.lock().unwrap().quarantined().unwrap().is_empty());
}
