//! The desktop app's commands and permissions, tested with `tauri::test` and the real config.

use std::path::Path;

use keyhaven_app::state::AppState;
use serde_json::json;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindowBuilder};

/// The app on a vault file of its own (tests run in parallel).
fn app_with_vault(vault: &Path) -> App<MockRuntime> {
    keyhaven_app::configure(
        tauri::test::mock_builder(),
        AppState::new(vault.to_path_buf()),
    )
    .build(tauri::generate_context!("tauri.conf.json", test = true))
    .expect("the app builds with the real config")
}

/// The main window exactly as tauri.conf.json declares it.
fn main_window(app: &App<MockRuntime>) -> tauri::WebviewWindow<MockRuntime> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .expect("a main window in tauri.conf.json");
    WebviewWindowBuilder::from_config(app, config)
        .expect("a valid window config")
        .build()
        .expect("the main window")
}

fn app() -> (tempfile::TempDir, App<MockRuntime>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let app = app_with_vault(&dir.path().join("vault.sqlite"));
    (dir, app)
}

fn invoke<W: AsRef<tauri::Webview<MockRuntime>>>(
    webview: &W,
    cmd: &str,
) -> Result<serde_json::Value, serde_json::Value> {
    invoke_with(webview, cmd, json!({}))
}

fn invoke_with<W: AsRef<tauri::Webview<MockRuntime>>>(
    webview: &W,
    cmd: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("a valid URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|body| {
        body.deserialize::<serde_json::Value>()
            .expect("a JSON response")
    })
}

#[test]
fn app_info_reports_the_product_and_version() {
    let (_dir, app) = app();
    let info =
        invoke(&main_window(&app), "app_info").expect("app_info is allowed in the main window");
    assert_eq!(info["product_name"], "Keyhaven");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
}

const MASTER: &str = "correct horse battery staple";

#[test]
fn getting_started_creates_an_unlocked_vault_that_locks_and_unlocks() {
    let (_dir, app) = app();
    let main = main_window(&app);
    assert_eq!(
        invoke(&main, "vault_status").unwrap(),
        json!({"exists": false, "unlocked": false})
    );
    let created =
        invoke_with(&main, "create_vault", json!({"masterPassword": MASTER})).expect("created");
    assert_eq!(created, json!({"exists": true, "unlocked": true}));
    assert_eq!(
        invoke_with(&main, "list_items", json!({"query": ""})).unwrap(),
        json!([])
    );

    assert_eq!(
        invoke(&main, "lock_vault").unwrap(),
        json!({"exists": true, "unlocked": false})
    );
    let locked = invoke_with(&main, "list_items", json!({"query": ""})).expect_err("locked");
    assert_eq!(locked["code"], "vault_locked");

    let wrong =
        invoke_with(&main, "unlock_vault", json!({"masterPassword": "not it"})).expect_err("wrong");
    assert_eq!(wrong["code"], "wrong_master_password");
    assert_eq!(
        invoke(&main, "vault_status").unwrap(),
        json!({"exists": true, "unlocked": false})
    );
    let unlocked =
        invoke_with(&main, "unlock_vault", json!({"masterPassword": MASTER})).expect("unlocked");
    assert_eq!(unlocked, json!({"exists": true, "unlocked": true}));
}

#[test]
fn a_guessable_master_password_creates_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let vault = dir.path().join("vault.sqlite");
    let app = app_with_vault(&vault);
    let main = main_window(&app);
    let err = invoke_with(
        &main,
        "create_vault",
        json!({"masterPassword": "password1"}),
    )
    .expect_err("weak");
    assert_eq!(err["code"], "weak_master_password");
    assert!(!vault.exists());
}

#[test]
fn items_added_elsewhere_are_listed_and_searched_without_secrets() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("vault.sqlite");
    let mut vault = keyhaven_vault::Vault::create(
        &path,
        MASTER.as_bytes(),
        keyhaven_vault::crypto::KdfParams::MINIMUM,
    )
    .unwrap();
    for (title, password) in [("GitHub", "gh-secret"), ("Bank", "bank-secret")] {
        let draft = serde_json::from_value(json!({"title": title, "content": {"type": "login", "username": "ada", "password": password}})).unwrap();
        vault.add(draft).unwrap();
    }
    drop(vault);
    let app = app_with_vault(&path);
    let main = main_window(&app);
    invoke_with(&main, "unlock_vault", json!({"masterPassword": MASTER})).expect("unlocked");
    let all = invoke_with(&main, "list_items", json!({"query": ""})).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(
        !all.to_string().contains("secret"),
        "lists carry no secrets: {all}"
    );
    let found = invoke_with(&main, "list_items", json!({"query": "git"})).unwrap();
    assert_eq!(found[0]["title"], "GitHub");
}

#[test]
fn password_strength_explains_a_weak_password() {
    let (_dir, app) = app();
    let weak = invoke_with(
        &main_window(&app),
        "password_strength",
        json!({"password": "password1"}),
    )
    .unwrap();
    assert_eq!(weak["score"], 0);
    assert!(weak["warning"].is_string());
}

#[test]
fn commands_outside_the_windows_capability_are_refused() {
    let (_dir, app) = app();
    let main = main_window(&app);
    for not_granted in [
        "plugin:app|version",
        "plugin:window|close",
        "plugin:webview|print",
        "plugin:event|emit",
    ] {
        let err = invoke(&main, not_granted).expect_err(not_granted);
        assert!(
            err.to_string().to_lowercase().contains("not allowed"),
            "{not_granted}: {err}"
        );
    }
    let other = WebviewWindowBuilder::new(&app, "other", WebviewUrl::default())
        .build()
        .expect("a second window");
    let err = invoke(&other, "app_info").expect_err("windows without a capability get nothing");
    assert!(
        err.to_string().to_lowercase().contains("not allowed"),
        "{err}"
    );
}

#[test]
fn the_product_name_matches_the_config() {
    let context: tauri::Context<MockRuntime> =
        tauri::generate_context!("tauri.conf.json", test = true);
    assert_eq!(
        context.config().product_name.as_deref(),
        Some(keyhaven_app::commands::app::PRODUCT_NAME)
    );
}

#[test]
fn a_content_security_policy_is_set() {
    let context: tauri::Context<MockRuntime> =
        tauri::generate_context!("tauri.conf.json", test = true);
    let csp = context
        .config()
        .app
        .security
        .csp
        .as_ref()
        .expect("CSP must not be null")
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
}

#[test]
fn checked_in_typescript_bindings_match_the_rust_commands() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join(keyhaven_app::BINDINGS_PATH);
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        keyhaven_app::export_bindings(&checked_in).expect("bindings written");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let fresh = dir.path().join("bindings.ts");
    keyhaven_app::export_bindings(&fresh).expect("bindings generated");
    let fresh = std::fs::read_to_string(fresh).expect("generated bindings");
    let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
    assert!(
        fresh == current,
        "{} is stale: run `make bindings` and commit the result",
        checked_in.display()
    );
}

#[test]
fn items_of_every_type_are_added_read_edited_and_deleted() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("vault.sqlite");
    keyhaven_vault::Vault::create(
        &path,
        MASTER.as_bytes(),
        keyhaven_vault::crypto::KdfParams::MINIMUM,
    )
    .unwrap();
    let app = app_with_vault(&path);
    let main = main_window(&app);
    invoke_with(&main, "unlock_vault", json!({"masterPassword": MASTER})).expect("unlocked");

    let drafts = [
        json!({"title": "GitHub", "content": {"type": "login", "username": "ada", "password": "first", "urls": ["https://github.com"]}}),
        json!({"title": "Wifi", "content": {"type": "secure_note", "notes": "hunter2"}}),
        json!({"title": "Visa", "content": {"type": "card", "number": "4111111111111234", "expiry_month": 12, "expiry_year": 2030}}),
        json!({"title": "Me", "content": {"type": "identity", "first_name": "Ada", "last_name": "Lovelace"}}),
    ];
    let mut ids = Vec::new();
    for draft in drafts {
        let added = invoke_with(&main, "add_item", json!({"draft": draft})).expect("added");
        ids.push(added["id"].as_str().unwrap().to_string());
    }
    let listed = invoke_with(&main, "list_items", json!({"query": ""})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);

    let login = invoke_with(&main, "get_item", json!({"id": ids[0]})).unwrap();
    assert_eq!(login["content"]["password"], "first");
    let edit = json!({"title": "GitHub", "content": {"type": "login", "username": "ada", "password": "second"}});
    let edited = invoke_with(&main, "update_item", json!({"id": ids[0], "draft": edit})).unwrap();
    assert_eq!(edited["password_history"][0]["password"], "first");

    invoke_with(&main, "delete_item", json!({"id": ids[1]})).expect("deleted");
    let gone = invoke_with(&main, "get_item", json!({"id": ids[1]})).expect_err("deleted");
    assert_eq!(gone["code"], "item_not_found");
    let untitled = json!({"title": " ", "content": {"type": "secure_note"}});
    let refused = invoke_with(&main, "add_item", json!({"draft": untitled})).expect_err("no title");
    assert_eq!(refused["code"], "invalid_item");
}

#[test]
fn generated_passwords_follow_the_options() {
    let (_dir, app) = app();
    let main = main_window(&app);
    let options = json!({"length": 32, "lowercase": true, "uppercase": true, "digits": true, "symbols": false, "exclude_lookalikes": true});
    let password = invoke_with(&main, "generate_password", json!({"options": options})).unwrap();
    let password = password.as_str().unwrap();
    assert_eq!(password.len(), 32);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    let too_short = json!({"length": 4, "lowercase": true, "uppercase": true, "digits": true, "symbols": true, "exclude_lookalikes": false});
    let err = invoke_with(&main, "generate_password", json!({"options": too_short}))
        .expect_err("too short");
    assert_eq!(err["code"], "invalid_generator_options");
    let default = invoke_with(&main, "generate_password", json!({"options": null})).unwrap();
    assert_eq!(default.as_str().unwrap().chars().count(), 20);
}
