//! `keyhaven account …` headless, the two-device scenario: the real binary against the
//! real service on loopback and the real Secret Service (run inside `scripts/with-keyring.sh`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

use keyhaven_testkit::service::{last_code, service, Service, PASSWORD, PHONE};

const MASTER: &str = "correct horse battery staple";

/// One computer: its own data dir (vault, session file) and its own machine id; or, with
/// [`Computer::other_user`], another OS user of the same computer.
struct Computer {
    dir: TempDir,
    machine_id: PathBuf,
    user: &'static str,
}

impl Computer {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        let machine_id = dir.path().join("machine-id");
        std::fs::write(&machine_id, uuid_like(&dir)).unwrap();
        Self {
            dir,
            machine_id,
            user: "ada",
        }
    }

    /// Another OS user of this computer: the same machine id, their own data dir.
    fn other_user(&self, user: &'static str) -> Self {
        Self {
            dir: TempDir::new().unwrap(),
            machine_id: self.machine_id.clone(),
            user,
        }
    }

    fn vault(&self) -> PathBuf {
        self.dir.path().join("vault.sqlite")
    }

    fn run(&self, service: &Service, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhaven"))
            .args(args)
            .env("KEYHAVEN_VAULT", self.vault())
            .env("KEYHAVEN_SERVICE_URL", &service.base)
            .env("KEYHAVEN_MACHINE_ID_FILE", &self.machine_id)
            .env("USER", self.user)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the keyhaven binary starts");
        match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("stdin: {e}"),
            _ => {}
        }
        child.wait_with_output().unwrap()
    }

    /// Runs with --json --password-stdin and returns the JSON it printed.
    fn json(&self, service: &Service, args: &[&str], stdin: &str) -> Value {
        let mut all = vec!["--json", "--password-stdin"];
        all.extend_from_slice(args);
        let output = self.run(service, &all, stdin);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
    }

    /// Runs expecting failure; returns the exit code and the JSON error code.
    fn fails(&self, service: &Service, args: &[&str], stdin: &str) -> (i32, String, String) {
        let mut all = vec!["--json", "--password-stdin"];
        all.extend_from_slice(args);
        let output = self.run(service, &all, stdin);
        assert!(!output.status.success(), "{args:?} should fail");
        // The JSON error is the last line; notes such as "Signed in as…" may come before it.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error: Value =
            serde_json::from_str(stderr.lines().last().unwrap_or_default()).unwrap_or(Value::Null);
        (
            output.status.code().unwrap_or(-1),
            error["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            error["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    /// Creates ada's account (the statement in force accepted), confirms its code and creates its
    /// vault with [`MASTER`].
    fn sign_up(&self, service: &Service) {
        let statement = self.json(service, &["account", "statement"], "");
        let version = statement["version"].as_i64().unwrap().to_string();
        let sent = self.json(
            service,
            &[
                "account",
                "signup",
                "--email",
                "ada@example.com",
                "--phone",
                PHONE,
                "--accept-statement",
                &version,
            ],
            &format!("{PASSWORD}\n"),
        );
        assert_eq!(sent["status"], "sms_required");
        self.json(
            service,
            &["account", "verify", &last_code(service)],
            &format!("{MASTER}\n"),
        );
    }

    /// Signs in to ada's account (past the SMS cooldown of the previous code); the code is sent.
    fn login(&self, service: &Service) -> Value {
        service.clock.advance(std::time::Duration::from_secs(61));
        self.json(
            service,
            &["account", "login", "--email", "ada@example.com"],
            &format!("{PASSWORD}\n"),
        )
    }

    fn item(&self, service: &Service, title: &str) -> Value {
        self.json(service, &["vault", "get", title], &format!("{MASTER}\n"))
    }

    fn titles(&self, service: &Service) -> Vec<String> {
        self.titles_with(service, MASTER)
    }

    fn titles_with(&self, service: &Service, master: &str) -> Vec<String> {
        let list = self.json(service, &["vault", "list"], &format!("{master}\n"));
        let mut titles: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles
    }
}

fn uuid_like(dir: &TempDir) -> String {
    format!("{:x}", md5ish(dir.path()))
}

fn md5ish(path: &Path) -> u128 {
    path.to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u128, |h, b| {
            (h ^ u128::from(b)).wrapping_mul(0x100000001b3)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_computers_sign_up_sign_in_sync_and_converge_after_offline_edits() {
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through scripts/with-keyring.sh"
    );
    let mut service = service().await;
    let (a, b) = (Computer::new(), Computer::new());
    let account_pw = format!("{PASSWORD}\n");

    // A creates the account: the statement version must be the one in force.
    let statement = a.json(&service, &["account", "statement"], "");
    let version = statement["version"].as_i64().unwrap().to_string();
    let (exit, _, message) = a.fails(
        &service,
        &[
            "account",
            "signup",
            "--email",
            "ada@example.com",
            "--phone",
            PHONE,
            "--accept-statement",
            "999",
        ],
        &account_pw,
    );
    assert_eq!(exit, 2, "{message}");
    let sent = a.json(
        &service,
        &[
            "account",
            "signup",
            "--email",
            "ada@example.com",
            "--phone",
            PHONE,
            "--accept-statement",
            &version,
        ],
        &account_pw,
    );
    assert_eq!(sent["status"], "sms_required");
    assert_eq!(sent["phone_hint"], "+…23");

    // A wrong code and an early resend are explained; the right code connects and creates the vault.
    let (exit, code, message) = a.fails(&service, &["account", "verify", "000000"], "");
    assert_eq!((exit, code.as_str()), (8, "sms_code_invalid"), "{message}");
    let (exit, code, _) = a.fails(&service, &["account", "verify", "--resend"], "");
    assert_eq!((exit, code.as_str()), (8, "sms_resend_too_soon"));
    let synced = a.json(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{MASTER}\n"),
    );
    assert_eq!(synced["status"], "synced");

    for (title, password) in [("GitHub", "gh-1"), ("Bank", "bank-1")] {
        a.json(
            &service,
            &["vault", "add", "--title", title, "--username", "ada"],
            &format!("{MASTER}\n{password}\n"),
        );
    }
    assert_eq!(
        a.json(&service, &["account", "sync"], &format!("{MASTER}\n"))["pushed"],
        2
    );

    // B signs in with the SMS step and gets every item.
    let sent = b.login(&service);
    assert_eq!(sent["status"], "sms_required");
    let (exit, code, _) = b.fails(
        &service,
        &["account", "verify", &last_code(&service)],
        "wrong master password\n",
    );
    assert_eq!((exit, code.as_str()), (3, "wrong_master_password"));
    assert!(
        !b.vault().exists(),
        "a wrong master password writes no vault"
    );
    let pulled = b.json(&service, &["account", "sync"], &format!("{MASTER}\n"));
    assert_eq!(pulled["pulled"], 2);
    assert_eq!(b.titles(&service), ["Bank", "GitHub"]);
    let status = b.json(&service, &["account", "status"], "");
    assert_eq!(
        (
            status["signed_in"].as_bool(),
            status["vault_connected"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(
        a.json(&service, &["account", "devices"], "")["devices"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The service goes away; both edit the same item and B deletes one A edits.
    service.stop();
    a.json(
        &service,
        &["vault", "edit", "GitHub", "--change-secret"],
        &format!("{MASTER}\ngh-from-a\n"),
    );
    a.json(
        &service,
        &["vault", "edit", "Bank", "--title", "Bank (joint)"],
        &format!("{MASTER}\n"),
    );
    b.json(
        &service,
        &[
            "vault",
            "edit",
            "GitHub",
            "--change-secret",
            "--username",
            "ada.l",
        ],
        &format!("{MASTER}\ngh-from-b\n"),
    );
    b.json(
        &service,
        &["vault", "rm", "Bank", "--yes"],
        &format!("{MASTER}\n"),
    );
    let (exit, code, _) = a.fails(&service, &["account", "sync"], &format!("{MASTER}\n"));
    assert_eq!((exit, code.as_str()), (7, "offline"));
    assert_eq!(
        a.json(&service, &["account", "status"], "")["pending_changes"],
        2
    );

    // It comes back: both converge and nothing is lost.
    service.restart();
    a.json(&service, &["account", "sync"], &format!("{MASTER}\n"));
    let merged = b.json(&service, &["account", "sync"], &format!("{MASTER}\n"));
    assert_eq!(merged["conflicts"], 1);
    a.json(&service, &["account", "sync"], &format!("{MASTER}\n"));
    assert_eq!(a.titles(&service), ["Bank (joint)", "GitHub"]);
    assert_eq!(b.titles(&service), ["Bank (joint)", "GitHub"]);
    let (on_a, on_b) = (a.item(&service, "GitHub"), b.item(&service, "GitHub"));
    assert_eq!(on_a, on_b);
    assert_eq!(on_b["content"]["password"], "gh-from-a");
    assert_eq!(on_b["content"]["username"], "ada.l");
    assert_eq!(on_b["needs_review"], true);
    let history: Vec<&str> = on_b["password_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["password"].as_str().unwrap())
        .collect();
    assert!(history.contains(&"gh-from-b"), "{history:?}");

    // Removing this computer's vault is refused while a change has not reached the account.
    b.json(
        &service,
        &["vault", "edit", "GitHub", "--username", "ada.unsynced"],
        &format!("{MASTER}\n"),
    );
    let (exit, code, _) = b.fails(
        &service,
        &["account", "logout", "--remove-local-vault", "--yes"],
        "",
    );
    assert_eq!((exit, code.as_str()), (2, "unsynced_changes"));
    assert!(b.vault().exists());
    assert_eq!(
        b.json(&service, &["account", "status"], "")["signed_in"],
        true
    );

    // B signs out and keeps a local vault; its session is gone.
    b.json(&service, &["account", "logout"], "");
    let status = b.json(&service, &["account", "status"], "");
    assert_eq!(
        (
            status["signed_in"].as_bool(),
            status["vault_connected"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(b.titles(&service), ["Bank (joint)", "GitHub"]);
    let (exit, code, _) = b.fails(&service, &["account", "sync"], &format!("{MASTER}\n"));
    assert_eq!((exit, code.as_str()), (2, "invalid_input"));

    // Another OS user of A's computer signs in to the same account: nothing is connected or
    // synced without a confirmation typed at a terminal.
    let grace = a.other_user("grace");
    grace.login(&service);
    let (exit, code, message) = grace.fails(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{MASTER}\n"),
    );
    assert_eq!(
        (exit, code.as_str()),
        (2, "shared_account_unconfirmed"),
        "{message}"
    );
    assert!(message.contains("share every password"), "{message}");
    assert!(!grace.vault().exists(), "no vault was made or synced");

    // A computer with a vault of its own (another master password) signs in: its items are
    // added to the account's vault, which it uses from then on.
    let d = Computer::new();
    let local_master = "the master password of d's own vault";
    d.json(&service, &["vault", "init"], &format!("{local_master}\n"));
    d.json(
        &service,
        &["vault", "add", "--title", "Only on D", "--username", "dee"],
        &format!("{local_master}\nd-1\n"),
    );
    d.login(&service);
    let (exit, code, _) = d.fails(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{local_master}\nnot the account's master password\n"),
    );
    assert_eq!((exit, code.as_str()), (3, "wrong_master_password"));
    assert_eq!(
        d.json(&service, &["vault", "list"], &format!("{local_master}\n"))
            .as_array()
            .map(Vec::len),
        Some(1),
        "the local vault is as it was"
    );
    d.login(&service);
    let synced = d.json(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{local_master}\n{MASTER}\n"),
    );
    assert_eq!(synced["status"], "synced");
    let titles = d.titles(&service);
    assert!(titles.contains(&"Only on D".to_owned()), "{titles:?}");
    assert!(titles.contains(&"GitHub".to_owned()), "{titles:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_passwd_on_a_connected_computer_reaches_the_others_and_a_new_one_joins_only_with_it()
{
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through scripts/with-keyring.sh"
    );
    const NEW: &str = "an entirely new and long master password";
    let service = service().await;
    let (a, b, c) = (Computer::new(), Computer::new(), Computer::new());
    a.sign_up(&service);
    a.json(
        &service,
        &["vault", "add", "--title", "GitHub", "--username", "ada"],
        &format!("{MASTER}\ngh-1\n"),
    );
    a.json(&service, &["account", "sync"], &format!("{MASTER}\n"));
    b.login(&service);
    b.json(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{MASTER}\n"),
    );

    // A weak new password is refused before anything changes; a good one reaches the account.
    let (exit, code, _) = a.fails(
        &service,
        &["vault", "passwd"],
        &format!("{MASTER}\npassword1\n"),
    );
    assert_eq!((exit, code.as_str()), (2, "weak_master_password"));
    let changed = a.json(
        &service,
        &["vault", "passwd"],
        &format!("{MASTER}\n{NEW}\n"),
    );
    assert_eq!(
        (changed["changed"].as_bool(), changed["account"].as_str()),
        (Some(true), Some("sent"))
    );
    assert_eq!(a.titles_with(&service, NEW), ["GitHub"]);

    // B works with its old unlock until its next sync takes the change; then only the new one opens it.
    let synced = b.json(&service, &["account", "sync"], &format!("{MASTER}\n"));
    assert_eq!(synced["master_password_changed"], true);
    let (exit, code, message) = b.fails(&service, &["vault", "list"], &format!("{MASTER}\n"));
    assert_eq!(
        (exit, code.as_str()),
        (3, "master_password_changed"),
        "{message}"
    );
    assert_eq!(b.titles_with(&service, NEW), ["GitHub"]);

    // A new computer joins with the new password only.
    c.login(&service);
    let (exit, code, _) = c.fails(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{MASTER}\n"),
    );
    assert_eq!((exit, code.as_str()), (3, "wrong_master_password"));
    assert!(!c.vault().exists(), "the old password writes no vault");
    assert_eq!(
        c.json(&service, &["account", "sync"], &format!("{NEW}\n"))["status"],
        "synced"
    );
    assert_eq!(c.titles_with(&service, NEW), ["GitHub"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_password_two_step_and_deleting_the_account_from_the_command_line() {
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through scripts/with-keyring.sh"
    );
    let service = service().await;
    let (a, b) = (Computer::new(), Computer::new());
    a.sign_up(&service);
    a.json(
        &service,
        &["vault", "add", "--title", "Stays", "--username", "ada"],
        &format!("{MASTER}\nsecret-1\n"),
    );
    b.login(&service);
    b.json(
        &service,
        &["account", "verify", &last_code(&service)],
        &format!("{MASTER}\n"),
    );

    // A new account password: B is signed out, A stays in.
    const NEW: &str = "a brand new account password";
    let (exit, code, _) = a.fails(
        &service,
        &["account", "password"],
        &format!("not the password\n{NEW}\n"),
    );
    assert_eq!((exit, code.as_str()), (8, "invalid_credentials"));
    let changed = a.json(
        &service,
        &["account", "password"],
        &format!("{PASSWORD}\n{NEW}\n"),
    );
    assert_eq!(changed["other_devices_signed_out"], 1);
    let (exit, code, _) = b.fails(&service, &["account", "devices"], "");
    assert_eq!((exit, code.as_str()), (8, "sign_in_required"));

    // 2-step off: B signs in with the new password alone (no code is sent).
    let off = a.json(
        &service,
        &["account", "two-step", "off"],
        &format!("{NEW}\n"),
    );
    assert_eq!(off["two_step_enabled"], false);
    service.clock.advance(std::time::Duration::from_secs(61));
    let codes_before = keyhaven_testkit::service::outbox(&service.outbox).len();
    let synced = b.json(
        &service,
        &["account", "login", "--email", "ada@example.com"],
        &format!("{NEW}\n{MASTER}\n"),
    );
    assert_eq!(synced["status"], "synced");
    assert_eq!(
        keyhaven_testkit::service::outbox(&service.outbox).len(),
        codes_before
    );

    // Deleting needs the email typed: a wrong one changes nothing, the right one deletes, and
    // the vault stays as a local vault with its items.
    let (exit, code, _) = a.fails(
        &service,
        &["account", "delete", "--confirm", "someone@else.example"],
        &format!("{NEW}\n"),
    );
    assert_eq!((exit, code.as_str()), (2, "confirmation_mismatch"));
    let deleted = a.json(
        &service,
        &["account", "delete", "--confirm", "ada@example.com"],
        &format!("{NEW}\n"),
    );
    assert_eq!(deleted["local_vault_kept"], true);
    let status = a.json(&service, &["account", "status"], "");
    assert_eq!(status["signed_in"], false);
    assert_eq!(status["vault_connected"], false);
    assert_eq!(a.titles(&service), ["Stays"]);
    let (exit, code, _) = b.fails(&service, &["account", "devices"], "");
    assert_eq!((exit, code.as_str()), (8, "sign_in_required"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_methods_from_the_command_line() {
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through scripts/with-keyring.sh"
    );
    let service = service().await;
    let a = Computer::new();
    let (exit, code, _) = a.fails(&service, &["account", "methods"], "");
    assert_eq!((exit, code.as_str()), (2, "invalid_input"), "not signed in");
    a.sign_up(&service);
    let methods = a.json(&service, &["account", "methods"], "");
    assert_eq!(methods["password"], true);
    assert_eq!(methods["providers"], serde_json::json!([]));
    assert_eq!(methods["can_remove"], true);
    let (exit, code, message) =
        a.fails(&service, &["account", "methods", "--remove", "google"], "");
    assert_eq!((exit, code.as_str()), (2, "invalid_input"), "{message}");
    assert!(
        message.contains("no linked sign-in method is google"),
        "{message}"
    );
    let (exit, code, _) = a.fails(
        &service,
        &["account", "methods", "--add-password"],
        "another account password\n",
    );
    assert_eq!((exit, code.as_str()), (8, "password_exists"));
}
