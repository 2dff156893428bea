//! The leak check against a local range server that answers as Have I Been Pwned does: it
//! asserts that no request carried more than a five-character prefix, that every request asked
//! for padding, and the vault keeps the results; offline, nothing changes.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::get;
use axum::Router;
use keyhaven_client::health::check_leaked_passwords;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{ItemContent, ItemDraft, Login};
use keyhaven_vault::Vault;
use sha1::{Digest, Sha1};

/// Passwords the range server knows from "breaches", with their counts.
const BREACHED: &[(&str, u64)] = &[("password", 9_545_824), ("hunter2", 17_043)];

#[derive(Default)]
struct Seen {
    requests: Vec<(String, Option<String>)>,
}

async fn range(
    State(seen): State<Arc<Mutex<Seen>>>,
    Path(prefix): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<String, StatusCode> {
    let padding = headers
        .get("add-padding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    seen.lock()
        .unwrap()
        .requests
        .push((uri.to_string(), padding));
    if prefix.len() != 5 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StatusCode::BAD_REQUEST);
    }
    let mut lines = Vec::new();
    for (password, count) in BREACHED {
        let hex = hex::encode_upper(Sha1::digest(password.as_bytes()));
        if hex.starts_with(&prefix.to_ascii_uppercase()) {
            lines.push(format!("{}:{count}", &hex[5..]));
        }
    }
    // Padding: suffixes nobody has, with a count of 0.
    for n in 0..50 {
        lines.push(format!("{:035X}:0", n));
    }
    Ok(lines.join("\r\n"))
}

async fn range_server() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/range/{prefix}", get(range))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/range/"), seen)
}

fn login(title: &str, password: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::Login(Login {
            username: "ada".into(),
            password: password.into(),
            ..Login::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

fn vault_with(passwords: &[(&str, &str)]) -> (tempfile::TempDir, Mutex<Vault>) {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(&dir.path().join("v.sqlite"), b"pw", KdfParams::MINIMUM).unwrap();
    vault.unlock(b"pw").unwrap();
    for (title, password) in passwords {
        vault.add(login(title, password)).unwrap();
    }
    (dir, Mutex::new(vault))
}

#[tokio::test]
async fn only_a_five_character_prefix_leaves_and_leaked_passwords_are_kept_in_the_vault() {
    let (endpoint, seen) = range_server().await;
    let secret = "Zq8#kL2!vT9@pR4$wM7n";
    let (_dir, vault) = vault_with(&[
        ("Mail", "password"),
        ("Forum", "password"),
        ("Game", "hunter2"),
        ("Bank", secret),
    ]);
    let done = check_leaked_passwords(&vault, &endpoint).await.unwrap();
    assert_eq!((done.checked, done.leaked), (3, 2));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 3, "one request per distinct prefix");
    for (uri, padding) in &seen.requests {
        let prefix = uri.strip_prefix("/range/").expect("the range path");
        assert_eq!(
            prefix.len(),
            5,
            "only five characters of the hash leave: {uri}"
        );
        assert_eq!(padding.as_deref(), Some("true"));
    }
    let full = hex::encode_upper(Sha1::digest(secret.as_bytes()));
    assert!(seen
        .requests
        .iter()
        .all(|(uri, _)| !uri.contains(&full[..6])));

    let report = vault.lock().unwrap().health_report().unwrap();
    let leaked: Vec<_> = report
        .leaked
        .iter()
        .map(|l| (l.item.title.as_str(), l.seen))
        .collect();
    assert_eq!(
        leaked,
        [("Forum", 9_545_824), ("Mail", 9_545_824), ("Game", 17_043)]
    );
    assert_eq!(report.counts.leaked, 3);
    assert_eq!(report.leaks_unchecked, 0);
}

#[tokio::test]
async fn offline_the_check_says_it_could_not_run_and_nothing_changes() {
    let (endpoint, _) = range_server().await;
    let (_dir, vault) = vault_with(&[("Mail", "password")]);
    check_leaked_passwords(&vault, &endpoint).await.unwrap();
    let before = vault.lock().unwrap().health_report().unwrap();

    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/range/", closed.local_addr().unwrap());
    drop(closed);
    vault.lock().unwrap().add(login("New", "hunter2")).unwrap();
    let error = check_leaked_passwords(&vault, &dead).await.unwrap_err();
    assert_eq!(error.code(), "leak_check_unreachable");
    assert!(error.to_string().contains("Nothing was changed"), "{error}");

    let after = vault.lock().unwrap().health_report().unwrap();
    assert_eq!(after.leaks_checked_at, before.leaks_checked_at);
    assert_eq!(after.leaked.len(), 1, "the last results stay");
    assert_eq!(
        after.leaks_unchecked, 1,
        "the new password is not checked yet"
    );
}
