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
