//! The desktop app's commands and permissions, tested with `tauri::test` and the real config.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyhaven_app::clipboard::MemoryClipboard;
use keyhaven_app::events::VaultStatusChanged;
use keyhaven_app::state::AppState;
use keyhaven_app::Shell;
use serde_json::json;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event;

/// What the app's clipboard holds (an in-memory one: these tests have no display).
type ClipboardContents = Arc<Mutex<Option<String>>>;

/// The app on a vault file of its own (tests run in parallel), and its clipboard.
fn app_with_clipboard(vault: &Path) -> (App<MockRuntime>, ClipboardContents) {
    let clipboard = MemoryClipboard::default();
    let contents = Arc::clone(&clipboard.0);
    let app = keyhaven_app::configure(
        tauri::test::mock_builder(),
        AppState::with_clipboard(vault.to_path_buf(), Box::new(clipboard)),
        Shell::Headless,
    )
    .build(tauri::generate_context!("tauri.conf.json", test = true))
    .expect("the app builds with the real config");
    keyhaven_app::start(&app, Shell::Headless).expect("the app starts");
    (app, contents)
}

fn app_with_vault(vault: &Path) -> App<MockRuntime> {
    app_with_clipboard(vault).0
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

/// The rows `list_items` returns for a query and filter (first page).
fn list<W: AsRef<tauri::Webview<MockRuntime>>>(
    webview: &W,
    query: &str,
    filter: serde_json::Value,
) -> serde_json::Value {
    let page = invoke_with(
        webview,
        "list_items",
        json!({"query": query, "filter": filter, "offset": 0, "limit": 100}),
    )
    .expect("list_items");
    page["items"].clone()
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
    assert_eq!(list(&main, "", json!({"show": "all"})), json!([]));

    assert_eq!(
        invoke(&main, "lock_vault").unwrap(),
        json!({"exists": true, "unlocked": false})
    );
    let locked = invoke_with(
        &main,
        "list_items",
        json!({"query": "", "filter": {"show": "all"}, "offset": 0, "limit": 50}),
    )
    .expect_err("locked");
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
    let all = list(&main, "", json!({"show": "all"}));
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(
        !all.to_string().contains("secret"),
        "lists carry no secrets: {all}"
    );
    let found = list(&main, "git", json!({"show": "all"}));
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
    let listed = list(&main, "", json!({"show": "all"}));
    assert_eq!(listed.as_array().unwrap().len(), 4);

    let login = invoke_with(&main, "get_item_for_edit", json!({"id": ids[0]})).unwrap();
    assert_eq!(login["content"]["password"], "first");
    let edit = json!({"title": "GitHub", "content": {"type": "login", "username": "ada", "password": "second"}});
    let edited = invoke_with(&main, "update_item", json!({"id": ids[0], "draft": edit})).unwrap();
    assert_eq!(edited["password_history"].as_array().unwrap().len(), 1);
    let previous = json!({"id": ids[0], "field": {"field": "previous_password", "index": 0}});
    assert_eq!(
        invoke_with(&main, "reveal_item_field", previous).unwrap(),
        "first"
    );

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
    assert_eq!(password["options"], options);
    let password = password["password"].as_str().unwrap();
    assert_eq!(password.len(), 32);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    let too_short = json!({"length": 4, "lowercase": true, "uppercase": true, "digits": true, "symbols": true, "exclude_lookalikes": false});
    let err = invoke_with(&main, "generate_password", json!({"options": too_short}))
        .expect_err("too short");
    assert_eq!(err["code"], "invalid_generator_options");
    let default = invoke_with(&main, "generate_password", json!({"options": null})).unwrap();
    assert_eq!(default["password"].as_str().unwrap().chars().count(), 20);
    assert_eq!(
        default["options"]["length"], 20,
        "the defaults are reported"
    );
}

/// The main window with a vault created and one login added; returns the login's id.
fn unlocked_with_login(app: &App<MockRuntime>) -> (tauri::WebviewWindow<MockRuntime>, String) {
    let main = main_window(app);
    invoke_with(&main, "create_vault", json!({"masterPassword": MASTER})).expect("created");
    let draft = json!({"title": "GitHub", "content": {
        "type": "login", "username": "ada", "password": "s3cret-pass", "urls": ["github.com", "javascript:alert(1)"],
        "custom_fields": [{"name": "PIN", "value": "4321", "hidden": true}]
    }});
    let added = invoke_with(&main, "add_item", json!({"draft": draft})).expect("added");
    (main, added["id"].as_str().expect("an id").to_string())
}

fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn the_quick_search_window_can_find_and_copy_but_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let (app, clipboard) = app_with_clipboard(&dir.path().join("vault.sqlite"));
    let (_main, id) = unlocked_with_login(&app);
    let quick = WebviewWindowBuilder::new(&app, "quick-search", WebviewUrl::default())
        .build()
        .expect("the quick-search window");

    let found = list(&quick, "git", json!({"show": "all"}));
    assert_eq!(found[0]["title"], "GitHub");
    invoke_with(
        &quick,
        "copy_item_field",
        json!({"id": id, "field": {"field": "password"}}),
    )
    .expect("quick search copies passwords");
    assert_eq!(clipboard.lock().unwrap().as_deref(), Some("s3cret-pass"));

    for (refused, args) in [
        ("get_item", json!({"id": id})),
        ("get_item_for_edit", json!({"id": id})),
        (
            "reveal_item_field",
            json!({"id": id, "field": {"field": "password"}}),
        ),
        ("delete_item", json!({"id": id})),
        ("update_item", json!({"id": id, "draft": {}})),
        ("unlock_vault", json!({"masterPassword": MASTER})),
        ("lock_vault", json!({})),
        ("copy_text", json!({"text": "x"})),
        ("update_settings", json!({"settings": {}})),
        ("open_item_url", json!({"id": id, "index": 0})),
        ("mark_item_reviewed", json!({"id": id})),
        ("account_status", json!({})),
        ("sign_out", json!({"keepLocalCopy": false})),
        ("list_devices", json!({})),
        ("connect_vault", json!({"masterPassword": MASTER})),
        ("sync_now", json!({})),
    ] {
        let err = invoke_with(&quick, refused, args).expect_err(refused);
        assert!(
            err.to_string().to_lowercase().contains("not allowed"),
            "{refused}: {err}"
        );
    }
    let main_capability = include_str!("../src-tauri/capabilities/main-window.json");
    let quick_capability = include_str!("../src-tauri/capabilities/quick-search-window.json");
    assert!(quick_capability.len() < main_capability.len());
}

#[test]
fn copying_puts_the_field_on_the_clipboard_and_clears_it_after_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let (app, clipboard) = app_with_clipboard(&dir.path().join("vault.sqlite"));
    let (main, id) = unlocked_with_login(&app);
    let mut settings = invoke(&main, "get_settings").unwrap();
    assert_eq!(settings["clipboard_clear_seconds"], 30, "30 s by default");
    settings["clipboard_clear_seconds"] = json!(1);
    invoke_with(&main, "update_settings", json!({"settings": settings})).unwrap();

    let copied = invoke_with(
        &main,
        "copy_item_field",
        json!({"id": id, "field": {"field": "username"}}),
    )
    .unwrap();
    assert_eq!(copied["clears_after_seconds"], 1);
    assert_eq!(clipboard.lock().unwrap().as_deref(), Some("ada"));
    assert!(
        wait_until(|| clipboard.lock().unwrap().is_none()),
        "cleared after 1 s"
    );

    invoke_with(
        &main,
        "copy_item_field",
        json!({"id": id, "field": {"field": "custom", "index": 0}}),
    )
    .unwrap();
    assert_eq!(clipboard.lock().unwrap().as_deref(), Some("4321"));
    *clipboard.lock().unwrap() = Some("something the person copied".into());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        clipboard.lock().unwrap().as_deref(),
        Some("something the person copied"),
        "what someone else copied is left alone"
    );

    for field in [
        json!({"field": "card_number"}),
        json!({"field": "custom", "index": 7}),
    ] {
        let err =
            invoke_with(&main, "copy_item_field", json!({"id": id, "field": field})).unwrap_err();
        assert_eq!(err["code"], "nothing_to_copy");
    }
    invoke_with(
        &main,
        "copy_item_field",
        json!({"id": id, "field": {"field": "password"}}),
    )
    .unwrap();
    invoke(&main, "lock_vault").unwrap();
    assert_eq!(
        *clipboard.lock().unwrap(),
        None,
        "locking clears a password we copied"
    );
    let err = invoke_with(
        &main,
        "copy_item_field",
        json!({"id": id, "field": {"field": "password"}}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "vault_locked");
}

#[test]
fn settings_are_validated_saved_and_kept_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.sqlite");
    let app = app_with_vault(&vault);
    let main = main_window(&app);
    let defaults = invoke(&main, "get_settings").unwrap();
    assert_eq!(
        defaults,
        json!({"auto_lock_seconds": 900, "lock_on_sleep": true, "clipboard_clear_seconds": 30,
               "close_to_tray": true, "theme": "system", "leak_check": false, "leak_check_url": ""})
    );
    let too_long = json!({"auto_lock_seconds": 1_000_000, "lock_on_sleep": true,
        "clipboard_clear_seconds": 30, "close_to_tray": true, "theme": "dark"});
    let err = invoke_with(&main, "update_settings", json!({"settings": too_long})).unwrap_err();
    assert_eq!(err["code"], "invalid_settings");
    assert_eq!(
        invoke(&main, "get_settings").unwrap(),
        defaults,
        "nothing changed"
    );

    let elsewhere = json!({"auto_lock_seconds": 900, "lock_on_sleep": true,
        "clipboard_clear_seconds": 30, "close_to_tray": true, "theme": "dark",
        "leak_check": true, "leak_check_url": "http://leaks.example/range/"});
    let err = invoke_with(&main, "update_settings", json!({"settings": elsewhere})).unwrap_err();
    assert_eq!(
        err["code"], "invalid_settings",
        "the leak check goes nowhere but https or loopback"
    );

    let chosen = json!({"auto_lock_seconds": 300, "lock_on_sleep": false,
        "clipboard_clear_seconds": 0, "close_to_tray": false, "theme": "dark",
        "leak_check": true, "leak_check_url": "http://127.0.0.1:9/range/"});
    assert_eq!(
        invoke_with(&main, "update_settings", json!({"settings": chosen})).unwrap(),
        chosen
    );
    drop(main);
    drop(app);

    let again = app_with_vault(&vault);
    assert_eq!(
        invoke(&main_window(&again), "get_settings").unwrap(),
        chosen
    );
}

#[test]
fn an_idle_vault_locks_itself_and_every_window_hears_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _clipboard) = app_with_clipboard(&dir.path().join("vault.sqlite"));
    let (main, _id) = unlocked_with_login(&app);
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&heard);
    VaultStatusChanged::listen_any(app.handle(), move |event| {
        sink.lock().unwrap().push(event.payload.0);
    });
    let state = app.state::<AppState>();
    let in_14_minutes = Instant::now() + Duration::from_secs(14 * 60);
    assert!(!state.lock_if_idle(in_14_minutes), "15 minutes by default");
    invoke(&main, "note_activity").unwrap();
    assert!(state.lock_if_idle(Instant::now() + Duration::from_secs(15 * 60 + 1)));
    assert!(!state.status().unlocked);
    assert!(wait_until(|| heard
        .lock()
        .unwrap()
        .iter()
        .any(|status| status.exists && !status.unlocked)));
}

#[test]
fn only_web_addresses_of_the_item_are_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _clipboard) = app_with_clipboard(&dir.path().join("vault.sqlite"));
    let (main, id) = unlocked_with_login(&app);
    let err = invoke_with(&main, "open_item_url", json!({"id": id, "index": 1})).unwrap_err();
    assert_eq!(err["code"], "url_not_opened");
    assert!(err["message"].as_str().unwrap().contains("javascript"));
    let err = invoke_with(&main, "open_item_url", json!({"id": id, "index": 9})).unwrap_err();
    assert_eq!(err["code"], "url_not_opened");
}

#[test]
fn the_list_is_paged_and_filtered_in_rust() {
    let (_dir, app) = app();
    let main = main_window(&app);
    invoke_with(&main, "create_vault", json!({"masterPassword": MASTER})).unwrap();
    for n in 0..120 {
        let draft = if n % 3 == 0 {
            json!({"title": format!("Note {n:03}"), "content": {"type": "secure_note", "notes": "x"}, "folder": "Home"})
        } else {
            json!({"title": format!("Login {n:03}"), "content": {"type": "login", "username": "u"}, "favourite": n % 10 == 1})
        };
        invoke_with(&main, "add_item", json!({"draft": draft})).unwrap();
    }
    let page = |query: &str, filter: serde_json::Value, offset: u32, limit: u32| {
        invoke_with(
            &main,
            "list_items",
            json!({"query": query, "filter": filter, "offset": offset, "limit": limit}),
        )
        .unwrap()
    };
    let second = page("", json!({"show": "all"}), 50, 50);
    assert_eq!(second["total"], 120);
    assert_eq!(second["offset"], 50);
    assert_eq!(second["items"].as_array().unwrap().len(), 50);
    let last = page("", json!({"show": "all"}), 100, 50);
    assert_eq!(last["items"].as_array().unwrap().len(), 20);
    assert_eq!(
        page("", json!({"show": "all"}), 500, 50)["items"],
        json!([])
    );
    assert_eq!(
        page("", json!({"show": "kind", "kind": "secure_note"}), 0, 500)["total"],
        40
    );
    assert_eq!(page("", json!({"show": "favourites"}), 0, 500)["total"], 8);
    // every word matches anywhere: "01" is in 001, 010–019 and 101, less the notes (multiples of 3)
    assert_eq!(page("login 01", json!({"show": "all"}), 0, 500)["total"], 9);
    assert_eq!(
        page("", json!({"show": "folder", "folder": "Home"}), 0, 500)["total"],
        40
    );
    assert_eq!(invoke(&main, "list_folders").unwrap(), json!(["Home"]));
}

#[test]
fn the_item_view_gets_secrets_only_when_the_person_asks_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _clipboard) = app_with_clipboard(&dir.path().join("vault.sqlite"));
    let (main, id) = unlocked_with_login(&app);
    let note = json!({"title": "Safe", "content": {"type": "secure_note", "notes": "combination 12-34-56"}});
    let note_id = invoke_with(&main, "add_item", json!({"draft": note})).unwrap()["id"].clone();
    let card = json!({"title": "Visa", "content": {"type": "card", "number": "4111111111111234", "security_code": "987"}});
    let card_id = invoke_with(&main, "add_item", json!({"draft": card})).unwrap()["id"].clone();

    let mut shown = String::new();
    for item in [json!(id), note_id.clone(), card_id.clone()] {
        shown += &invoke_with(&main, "get_item", json!({"id": item}))
            .unwrap()
            .to_string();
    }
    // Short numeric secrets are looked for as whole JSON strings: timestamps hold digit runs too.
    for secret in [
        "s3cret-pass",
        "\"4321\"",
        "combination",
        "4111111111111234",
        "\"987\"",
    ] {
        assert!(
            !shown.contains(secret),
            "{secret} reached the view: {shown}"
        );
    }
    let view = invoke_with(&main, "get_item", json!({"id": id})).unwrap();
    assert_eq!(
        view["content"]["username"], "ada",
        "what is not secret is shown"
    );
    assert_eq!(view["content"]["custom_fields"][0]["name"], "PIN");

    let reveal = |item: &serde_json::Value, field: serde_json::Value| {
        invoke_with(
            &main,
            "reveal_item_field",
            json!({"id": item, "field": field}),
        )
    };
    assert_eq!(
        reveal(&json!(id), json!({"field": "password"})).unwrap(),
        "s3cret-pass"
    );
    assert_eq!(
        reveal(&json!(id), json!({"field": "custom", "index": 0})).unwrap(),
        "4321"
    );
    assert_eq!(
        reveal(&note_id, json!({"field": "notes"})).unwrap(),
        "combination 12-34-56"
    );
    assert_eq!(
        reveal(&card_id, json!({"field": "security_code"})).unwrap(),
        "987"
    );
    let err = reveal(&card_id, json!({"field": "password"})).unwrap_err();
    assert_eq!(err["code"], "no_such_field");
}

/// Answers the app's file choosers with `paths`, one per chooser shown, in order.
fn answer_choosers(app: &App<MockRuntime>, paths: Vec<std::path::PathBuf>) {
    let queue = Mutex::new(std::collections::VecDeque::from(paths));
    app.state::<keyhaven_app::transfer::TransferState>()
        .set_picker(Box::new(move |_| queue.lock().unwrap().pop_front()));
}

#[test]
fn an_import_is_previewed_then_stored_and_an_export_asks_the_master_password_again() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, app) = app();
    let main = main_window(&app);
    invoke_with(&main, "create_vault", json!({"masterPassword": MASTER})).expect("created");
    let export = dir.path().join("bitwarden_export.json");
    std::fs::write(
        &export,
        json!({ "encrypted": false, "folders": [], "items": [
            { "id": "1", "type": 1, "name": "GitHub", "login": { "username": "ada", "password": "gh-1", "uris": [] } },
            { "id": "2", "type": 2, "name": "Wifi", "notes": "hunter2" }
        ]})
        .to_string(),
    )
    .unwrap();
    let saved = dir.path().join("backup.keyhaven");
    answer_choosers(&app, vec![export, saved.clone(), saved.clone()]);

    let not_read = invoke_with(&main, "run_import", json!({"skipDuplicates": true}));
    assert_eq!(not_read.unwrap_err()["code"], "import_not_started");
    let chosen = invoke(&main, "choose_import_file").expect("chosen");
    assert_eq!(
        chosen,
        json!({"file_name": "bitwarden_export.json", "detected": "bitwarden_json"})
    );
    let wrong = invoke_with(
        &main,
        "preview_import",
        json!({"format": "chrome_csv", "password": null, "columns": null}),
    );
    assert_eq!(wrong.unwrap_err()["code"], "import_wrong_format");
    let preview = invoke_with(
        &main,
        "preview_import",
        json!({"format": "bitwarden_json", "password": null, "columns": null}),
    )
    .expect("preview");
    assert_eq!(preview["total"], 2);
    assert_eq!(
        list(&main, "", json!({"show": "all"})),
        json!([]),
        "nothing is written before the import"
    );
    let added =
        invoke_with(&main, "run_import", json!({"skipDuplicates": true})).expect("imported");
    assert_eq!(added, 2);
    assert_eq!(
        list(&main, "", json!({"show": "all"}))
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let refused = invoke_with(
        &main,
        "export_vault",
        json!({"masterPassword": "not it", "format": "keyhaven", "exportPassword": "violet anchor drifting 42 lanterns"}),
    );
    assert_eq!(refused.unwrap_err()["code"], "wrong_master_password");
    let weak = invoke_with(
        &main,
        "export_vault",
        json!({"masterPassword": MASTER, "format": "keyhaven", "exportPassword": "password1"}),
    );
    assert_eq!(weak.unwrap_err()["code"], "weak_export_password");
    assert!(
        !saved.exists(),
        "nothing is written before both passwords pass"
    );
    let written = invoke_with(
        &main,
        "export_vault",
        json!({"masterPassword": MASTER, "format": "keyhaven", "exportPassword": "violet anchor drifting 42 lanterns"}),
    )
    .expect("exported");
    assert_eq!(written, "backup.keyhaven");
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let back = keyhaven_import::Format::KeyhavenEncrypted
        .open(
            "backup.keyhaven",
            &std::fs::read(&saved).unwrap(),
            &keyhaven_import::Unlock::password("violet anchor drifting 42 lanterns"),
        )
        .expect("the export opens");
    assert_eq!(back.items.len(), 2);
}
