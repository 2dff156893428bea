//! The desktop app's commands and permissions, tested with `tauri::test` and the real config.

use std::path::Path;

use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindowBuilder};

fn app() -> App<MockRuntime> {
    keyhaven_app::configure(tauri::test::mock_builder())
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

fn invoke<W: AsRef<tauri::Webview<MockRuntime>>>(
    webview: &W,
    cmd: &str,
) -> Result<serde_json::Value, serde_json::Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("a valid URL"),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|body| {
        body.deserialize::<serde_json::Value>()
            .expect("a JSON response")
    })
}

#[test]
fn app_info_reports_the_product_and_whether_a_vault_exists() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let vault = dir.path().join("vault.sqlite");
    std::env::set_var(keyhaven_vault::paths::VAULT_ENV, &vault);
    let app = app();
    let main = main_window(&app);

    let info = invoke(&main, "app_info").expect("app_info is allowed in the main window");
    assert_eq!(info["product_name"], "Keyhaven");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["has_local_vault"], false);

    keyhaven_vault::Vault::create(
        &vault,
        b"correct horse battery staple",
        keyhaven_vault::crypto::KdfParams::MINIMUM,
    )
    .expect("a vault");
    assert_eq!(
        invoke(&main, "app_info").expect("allowed")["has_local_vault"],
        true
    );
}

#[test]
fn commands_outside_the_windows_capability_are_refused() {
    let app = app();
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
