//! An account of the build before item versions and the sealed state comes over to this one.
//! `fixtures/legacy/` holds what that build wrote (made by it, not by hand): a vault file
//! (schema 2, items of format 1, a deletion as a NULL blob, one edit not yet synced) and the
//! requests its client sent to the service (the vault's key material, two pushes). The first
//! client of this build upgrades its own file at unlock and the service's vault at its first
//! sync; a second one joins and verifies everything; the legacy protocol is refused afterwards.
//! (Run inside `scripts/with-keyring.sh`, as `make test` does.)

use std::sync::Mutex;

use keyhaven_client::connect::{attach_vault, cloud_vault};
use keyhaven_client::session::{Session, SessionStore};
use keyhaven_client::sync::sync_once;
use keyhaven_client::ApiClient;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{Item, ItemContent};
use tempfile::TempDir;

use keyhaven_testkit::service::{account, service, sign_in, Service};

const MASTER: &str = "correct horse battery staple";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy");

/// Sends the legacy client's requests to the service, as that client did.
async fn replay_legacy_client(service: &Service, token: &str) {
    let requests: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/requests.json")).unwrap(),
    )
    .unwrap();
    let http = reqwest::Client::new();
    let send = |path: &str, body: &serde_json::Value| {
        http.post(format!("{}{path}", service.base))
            .bearer_auth(token)
            .json(body)
            .send()
    };
    let created = send("/v1/vault", &requests["create_vault"]).await.unwrap();
    assert_eq!(created.status(), 201);
    for push in requests["pushes"].as_array().unwrap() {
        let pushed = send("/v1/vault/items", push).await.unwrap();
        assert_eq!(pushed.status(), 200, "{}", pushed.text().await.unwrap());
    }
}

fn items(vault: &Mutex<keyhaven_vault::Vault>) -> Vec<Item> {
    let mut items = vault.lock().unwrap().items().unwrap();
    items.sort_by_key(|item| item.id);
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_of_the_legacy_build_upgrades_on_its_first_sync_and_loses_nothing() {
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "these tests need a Secret Service: run them through scripts/with-keyring.sh"
    );
    let service = service().await;
    let grant = account(&service).await;
    replay_legacy_client(&service, grant.tokens.access_token.expose()).await;

    // The legacy build's vault file on this computer, linked to this account.
    let a_dir = TempDir::new().unwrap();
    let path = a_dir.path().join("vault.sqlite");
    std::fs::copy(format!("{FIXTURES}/vault.sqlite"), &path).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE sync_state SET account_id = ?1",
            [grant.account_id.to_string()],
        )
        .unwrap();
    let store = SessionStore::new(a_dir.path().join("account.json"), "test-legacy-a");
    let session_a = Session::establish(
        ApiClient::new(&service.base).unwrap(),
        &service.base,
        grant,
        store,
    )
    .unwrap();
    let legacy = cloud_vault(&session_a).await.unwrap().unwrap();
    assert_eq!(
        (legacy.state, legacy.key_material.key_check),
        (None, None),
        "a vault of the legacy protocol"
    );

    let vault_a = Mutex::new(
        attach_vault(&session_a, &path, MASTER, KdfParams::MINIMUM, false)
            .await
            .unwrap(),
    );
    let before = items(&vault_a);
    assert_eq!(
        before.len(),
        4,
        "every live item, after the upgrade at unlock"
    );
    sync_once(&session_a, &vault_a).await.unwrap();
    assert_eq!(items(&vault_a), before, "nothing lost by the sync");
    assert_eq!(vault_a.lock().unwrap().pending_count().unwrap(), 0);
    let upgraded = cloud_vault(&session_a).await.unwrap().unwrap();
    assert!(
        upgraded.state.is_some(),
        "the service's vault has its first sealed state"
    );
    assert!(upgraded.key_material.key_check.is_some());
    assert!(vault_a.lock().unwrap().last_change().unwrap().is_some());

    // A second computer of this build joins and verifies all of it.
    let b_dir = TempDir::new().unwrap();
    let store = SessionStore::new(b_dir.path().join("account.json"), "test-legacy-b");
    let session_b = Session::establish(
        ApiClient::new(&service.base).unwrap(),
        &service.base,
        sign_in(&service, "b").await,
        store,
    )
    .unwrap();
    let vault_b = Mutex::new(
        attach_vault(
            &session_b,
            &b_dir.path().join("vault.sqlite"),
            MASTER,
            KdfParams::MINIMUM,
            false,
        )
        .await
        .unwrap(),
    );
    let report = sync_once(&session_b, &vault_b).await.unwrap();
    assert_eq!(report.quarantined, 0);
    assert_eq!(items(&vault_b), before);
    let bank = items(&vault_b)
        .into_iter()
        .find(|item| item.title == "Bank")
        .unwrap();
    assert!(
        matches!(&bank.content, ItemContent::Login(login) if login.username == "ada.lovelace"),
        "the edit the legacy file had not synced came along"
    );
    assert!(
        items(&vault_b)
            .iter()
            .all(|item| item.title != "Old router"),
        "the deletion stayed one"
    );
    let github = items(&vault_b)
        .into_iter()
        .find(|item| item.title == "GitHub")
        .unwrap();
    assert_eq!(github.password_history.len(), 1, "histories kept");

    // A client of the legacy build is refused from now on, with words for an update.
    let http = reqwest::Client::new();
    let token = session_b
        .authed(|_, token| async move { Ok(token) })
        .await
        .unwrap();
    let refused = http
        .post(format!("{}/v1/vault/items", service.base))
        .bearer_auth(token.expose())
        .json(&serde_json::json!({ "changes": [{ "item_id": uuid::Uuid::new_v4(), "base_revision": 0, "blob": "AAAA" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "vault_state_required");
}
