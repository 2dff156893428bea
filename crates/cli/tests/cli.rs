use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

const MASTER: &str = "correct horse battery staple";

fn keyhaven(vault: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyhaven"))
        .args(args)
        .env("KEYHAVEN_VAULT", vault)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the keyhaven binary starts");
    // The command may exit before reading its input (e.g. no vault): a closed pipe is fine.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("cannot write stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn new_vault() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.sqlite");
    let fast = [
        "vault",
        "init",
        "--password-stdin",
        "--kdf-memory-mib",
        "19",
        "--kdf-iterations",
        "2",
        "--kdf-parallelism",
        "1",
    ];
    ok(keyhaven(&path, &fast, &format!("{MASTER}\n")));
    (dir, path)
}

fn add_login(path: &Path, title: &str, password: &str) {
    ok(keyhaven(
        path,
        &[
            "vault",
            "add",
            "--password-stdin",
            "--title",
            title,
            "--username",
            "ada",
        ],
        &format!("{MASTER}\n{password}\n"),
    ));
}

#[test]
fn a_script_can_store_and_read_back_a_password() {
    let (_dir, path) = new_vault();
    add_login(&path, "GitHub", "hunter2-but-longer");
    let password = ok(keyhaven(
        &path,
        &[
            "vault",
            "get",
            "github",
            "--field",
            "password",
            "--password-stdin",
        ],
        &format!("{MASTER}\n"),
    ));
    assert_eq!(password, "hunter2-but-longer\n");
    let human = ok(keyhaven(
        &path,
        &["vault", "get", "GitHub", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    assert!(
        !human.contains("hunter2"),
        "secrets are masked without --show: {human}"
    );
}

#[test]
fn json_output_lists_and_searches_items() {
    let (_dir, path) = new_vault();
    add_login(&path, "GitHub", "a");
    add_login(&path, "Bank", "b");
    let listed: serde_json::Value = serde_json::from_str(&ok(keyhaven(
        &path,
        &["vault", "list", "--json", "--password-stdin"],
        &format!("{MASTER}\n"),
    )))
    .unwrap();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Bank", "GitHub"]);
    assert!(
        !listed.to_string().contains("\"password\""),
        "lists carry no secrets"
    );
    let found: serde_json::Value = serde_json::from_str(&ok(keyhaven(
        &path,
        &["vault", "search", "GIT", "--json", "--password-stdin"],
        &format!("{MASTER}\n"),
    )))
    .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
}

#[test]
fn a_wrong_master_password_exits_3_with_a_json_error_code() {
    let (_dir, path) = new_vault();
    let out = keyhaven(
        &path,
        &["vault", "list", "--json", "--password-stdin"],
        "not it\n",
    );
    assert_eq!(out.status.code(), Some(3));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "wrong_master_password");
}

#[test]
fn missing_and_corrupt_vaults_have_their_own_exit_codes() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.sqlite");
    assert_eq!(
        keyhaven(&missing, &["vault", "list", "--password-stdin"], "x\n")
            .status
            .code(),
        Some(4)
    );
    let corrupt = dir.path().join("corrupt.sqlite");
    std::fs::write(&corrupt, vec![0x42; 9000]).unwrap();
    let out = keyhaven(&corrupt, &["vault", "list", "--password-stdin"], "x\n");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("corrupt.sqlite"));
}

#[test]
fn edit_keeps_history_and_rm_needs_confirmation_without_a_terminal() {
    let (_dir, path) = new_vault();
    add_login(&path, "Mail", "first-password");
    ok(keyhaven(
        &path,
        &[
            "vault",
            "edit",
            "Mail",
            "--change-secret",
            "--password-stdin",
        ],
        &format!("{MASTER}\nsecond-password\n"),
    ));
    let item: serde_json::Value = serde_json::from_str(&ok(keyhaven(
        &path,
        &["vault", "get", "Mail", "--json", "--password-stdin"],
        &format!("{MASTER}\n"),
    )))
    .unwrap();
    assert_eq!(item["content"]["password"], "second-password");
    assert_eq!(item["password_history"][0]["password"], "first-password");
    ok(keyhaven(
        &path,
        &["vault", "edit", "Mail", "--favourite", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    let starred = ok(keyhaven(
        &path,
        &["vault", "get", "Mail", "--json", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&starred).unwrap()["favourite"],
        true
    );
    ok(keyhaven(
        &path,
        &[
            "vault",
            "edit",
            "Mail",
            "--not-favourite",
            "--password-stdin",
        ],
        &format!("{MASTER}\n"),
    ));
    let unstarred = ok(keyhaven(
        &path,
        &["vault", "get", "Mail", "--json", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&unstarred).unwrap()["favourite"],
        false
    );
    assert_eq!(
        keyhaven(
            &path,
            &["vault", "rm", "Mail", "--password-stdin"],
            &format!("{MASTER}\n")
        )
        .status
        .code(),
        Some(2)
    );
    ok(keyhaven(
        &path,
        &["vault", "rm", "Mail", "--yes", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    assert_eq!(
        keyhaven(
            &path,
            &["vault", "get", "Mail", "--password-stdin"],
            &format!("{MASTER}\n")
        )
        .status
        .code(),
        Some(4)
    );
}

#[test]
fn passwd_changes_the_master_password() {
    let (_dir, path) = new_vault();
    add_login(&path, "A", "a");
    let new = "a different long passphrase entirely";
    ok(keyhaven(
        &path,
        &["vault", "passwd", "--password-stdin"],
        &format!("{MASTER}\n{new}\n"),
    ));
    assert_eq!(
        keyhaven(
            &path,
            &["vault", "list", "--password-stdin"],
            &format!("{MASTER}\n")
        )
        .status
        .code(),
        Some(3)
    );
    assert!(ok(keyhaven(
        &path,
        &["vault", "list", "--password-stdin"],
        &format!("{new}\n")
    ))
    .contains('A'));
}

#[test]
fn weak_master_passwords_and_existing_vaults_are_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.sqlite");
    let out = keyhaven(&path, &["vault", "init", "--password-stdin"], "password1\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(!path.exists());
    let (_dir, existing) = new_vault();
    assert_eq!(
        keyhaven(
            &existing,
            &["vault", "init", "--password-stdin"],
            &format!("{MASTER}\n")
        )
        .status
        .code(),
        Some(6)
    );
}

#[test]
fn generate_honours_length_and_refuses_nonsense() {
    let dir = TempDir::new().unwrap();
    let out = ok(keyhaven(
        &dir.path().join("unused"),
        &["vault", "generate", "--length", "40", "--no-symbols"],
        "",
    ));
    assert_eq!(out.trim_end().chars().count(), 40);
    assert!(out.trim_end().chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        keyhaven(
            &dir.path().join("unused"),
            &["vault", "generate", "--length", "7"],
            ""
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn two_processes_adding_at_once_lose_nothing() {
    let (_dir, path) = new_vault();
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..5 {
                    add_login(&path, &format!("writer{writer}-{n}"), "pw");
                }
            })
        })
        .collect();
    writers.into_iter().for_each(|w| w.join().unwrap());
    let listed: serde_json::Value = serde_json::from_str(&ok(keyhaven(
        &path,
        &["vault", "list", "--json", "--password-stdin"],
        &format!("{MASTER}\n"),
    )))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 10);
}

#[test]
fn a_writer_killed_at_any_instant_leaves_a_vault_that_opens_with_every_committed_item() {
    let (_dir, path) = new_vault();
    let mut committed = 0usize;
    for round in 0..24u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhaven"))
            .args([
                "vault",
                "add",
                "--password-stdin",
                "--title",
                &format!("item {round}"),
                "--generate",
            ])
            .env("KEYHAVEN_VAULT", &path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The pipe buffers the line; a writer that died early simply never reads it.
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{MASTER}\n").as_bytes());
        // Spread the kill over the whole run: before the KDF, during it, around the commit.
        std::thread::sleep(std::time::Duration::from_millis(round * 7 % 160));
        child.kill().ok();
        child.wait().unwrap();
        let listed = keyhaven(
            &path,
            &["vault", "list", "--json", "--password-stdin"],
            &format!("{MASTER}\n"),
        );
        let items: serde_json::Value = serde_json::from_str(&ok(listed)).unwrap();
        let count = items.as_array().unwrap().len();
        assert!(
            count == committed || count == committed + 1,
            "round {round}: {count} items after {committed}"
        );
        committed = count;
    }
    eprintln!("{committed} of 24 killed writers had committed their item");
}

#[test]
fn a_swap_into_the_accounts_vault_interrupted_in_another_program_is_finished_before_any_command() {
    // The account's vault was complete beside this one and this one had been moved aside when
    // the program was killed: `vault.sqlite` is missing, `.merging` and `.before-merge` remain.
    let (dir, path) = new_vault();
    add_login(&path, "From the account", "pw-1");
    let merging = dir.path().join("vault.sqlite.merging");
    let before = dir.path().join("vault.sqlite.before-merge");
    std::fs::rename(&path, &merging).unwrap();
    std::fs::write(&before, b"this computer's old vault").unwrap();

    let listed = ok(keyhaven(
        &path,
        &["--json", "vault", "list", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    assert!(listed.contains("From the account"), "{listed}");
    assert!(path.exists());
    assert!(!merging.exists(), "the account's vault took its place");
    assert!(!before.exists(), "the old vault is removed");
}

#[test]
fn a_bitwarden_export_is_imported_once_and_likely_duplicates_are_asked_about() {
    let (dir, path) = new_vault();
    add_login(&path, "GitHub", "kept-1");
    let export = dir.path().join("bitwarden_export.json");
    std::fs::write(
        &export,
        serde_json::json!({
            "encrypted": false,
            "folders": [{ "id": "f", "name": "Work" }],
            "items": [
                { "id": "1", "type": 1, "name": "GitHub", "folderId": null,
                  "login": { "username": "ada", "password": "from-bitwarden", "uris": [] } },
                { "id": "2", "type": 1, "name": "Bank", "folderId": "f",
                  "login": { "username": "ada", "password": "bank-1", "uris": [{ "uri": "https://bank.example" }] } },
                { "id": "3", "type": 2, "name": "Wifi", "notes": "hunter2" }
            ]
        })
        .to_string(),
    )
    .unwrap();
    let file = export.to_str().unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "--password-stdin",
            "vault",
            "import",
            "--from",
            "bitwarden-json",
            file,
            "--yes",
        ];
        args.extend_from_slice(extra);
        keyhaven(&path, &args, &format!("{MASTER}\n"))
    };

    // GitHub/ada is in the vault already: the person must say what to do with it.
    let asked = import(&[]);
    assert_eq!(asked.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&asked.stderr).unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--duplicates skip"),
        "{error}"
    );
    let listed = |path: &Path| -> Vec<String> {
        let out = ok(keyhaven(
            path,
            &["vault", "list", "--json", "--password-stdin"],
            &format!("{MASTER}\n"),
        ));
        let items: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut titles: Vec<String> = items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(listed(&path), ["GitHub"], "nothing was imported");

    let done: serde_json::Value =
        serde_json::from_str(&ok(import(&["--duplicates", "skip"]))).unwrap();
    assert_eq!(done["imported"], 2);
    assert_eq!(done["duplicates_skipped"], 1);
    assert_eq!(listed(&path), ["Bank", "GitHub", "Wifi"]);

    // A file of another format is named, with what is wrong, and changes nothing.
    let csv = dir.path().join("passwords.csv");
    std::fs::write(
        &csv,
        "name,url,username,password\nX,https://x.example,ada,pw\n",
    )
    .unwrap();
    let out = keyhaven(
        &path,
        &[
            "--json",
            "--password-stdin",
            "vault",
            "import",
            "--from",
            "bitwarden-json",
            csv.to_str().unwrap(),
            "--yes",
        ],
        &format!("{MASTER}\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["code"], "import_wrong_format");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("passwords.csv is not a Bitwarden JSON file"));
    assert_eq!(listed(&path), ["Bank", "GitHub", "Wifi"]);
}

#[test]
fn a_plaintext_export_is_confirmed_private_and_imports_into_another_vault() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = new_vault();
    add_login(&path, "GitHub", "=not a formula");
    add_login(&path, "Bank", "bank-1");
    let out = dir.path().join("export.json");
    let file = out.to_str().unwrap();
    let refused = keyhaven(
        &path,
        &[
            "--password-stdin",
            "vault",
            "export",
            "--format",
            "bitwarden-json",
            "--output",
            file,
        ],
        &format!("{MASTER}\n"),
    );
    assert_eq!(
        refused.status.code(),
        Some(2),
        "no terminal to confirm on, and no --yes"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("UNENCRYPTED"));
    assert!(!out.exists(), "nothing is written before the person agrees");

    ok(keyhaven(
        &path,
        &[
            "--password-stdin",
            "vault",
            "export",
            "--format",
            "bitwarden-json",
            "--output",
            file,
            "--yes",
        ],
        &format!("{MASTER}\n"),
    ));
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let (_other_dir, other) = new_vault();
    ok(keyhaven(
        &other,
        &[
            "--password-stdin",
            "vault",
            "import",
            "--from",
            "bitwarden-json",
            file,
            "--yes",
        ],
        &format!("{MASTER}\n"),
    ));
    let shown = ok(keyhaven(
        &other,
        &[
            "--password-stdin",
            "vault",
            "get",
            "GitHub",
            "--show",
            "--json",
        ],
        &format!("{MASTER}\n"),
    ));
    let item: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(
        item["content"]["password"], "=not a formula",
        "JSON is not escaped"
    );

    let csv = dir.path().join("export.csv");
    ok(keyhaven(
        &path,
        &[
            "--password-stdin",
            "vault",
            "export",
            "--format",
            "bitwarden-csv",
            "--output",
            csv.to_str().unwrap(),
            "--yes",
        ],
        &format!("{MASTER}\n"),
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.contains("'=not a formula"),
        "CSV escapes a formula: {text}"
    );
}

#[test]
fn an_encrypted_export_needs_a_strong_password_and_opens_only_with_it() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = new_vault();
    add_login(&path, "GitHub", "gh-secret-1");
    let export = |format: &str, file: &Path, password: &str| {
        keyhaven(
            &path,
            &[
                "--json",
                "--password-stdin",
                "vault",
                "export",
                "--format",
                format,
                "--output",
                file.to_str().unwrap(),
            ],
            &format!("{MASTER}\n{password}\n"),
        )
    };
    let sealed = dir.path().join("backup.keyhaven");
    let weak = export("keyhaven", &sealed, "password1");
    assert_eq!(weak.status.code(), Some(2));
    assert!(!sealed.exists(), "nothing is written under a weak password");
    const EXPORT_PW: &str = "violet anchor drifting 42 lanterns";
    ok(export("keyhaven", &sealed, EXPORT_PW));
    assert_eq!(
        std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("gh-secret-1"),
        "the file is sealed"
    );
    let kdbx = dir.path().join("backup.kdbx");
    ok(export("kdbx", &kdbx, EXPORT_PW));

    for (format, file) in [("keyhaven", &sealed), ("kdbx", &kdbx)] {
        let (_other_dir, other) = new_vault();
        let import = |password: &str| {
            keyhaven(
                &other,
                &[
                    "--json",
                    "--password-stdin",
                    "vault",
                    "import",
                    "--from",
                    format,
                    file.to_str().unwrap(),
                    "--yes",
                ],
                &format!("{MASTER}\n{password}\n"),
            )
        };
        let wrong = import("not the password");
        assert_eq!(wrong.status.code(), Some(2), "{format}");
        let error: serde_json::Value = serde_json::from_slice(&wrong.stderr).unwrap();
        assert_eq!(error["error"]["code"], "import_wrong_password", "{format}");
        let done: serde_json::Value = serde_json::from_str(&ok(import(EXPORT_PW))).unwrap();
        assert_eq!(done["imported"], 1, "{format}");
        let shown = ok(keyhaven(
            &other,
            &[
                "--password-stdin",
                "vault",
                "get",
                "GitHub",
                "--show",
                "--json",
            ],
            &format!("{MASTER}\n"),
        ));
        let item: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(item["content"]["password"], "gh-secret-1", "{format}");
    }
}

#[test]
fn totp_prints_the_current_code_and_json_adds_the_seconds_left() {
    let (_dir, path) = new_vault();
    let draft = serde_json::json!({
        "title": "GitHub",
        "content": {"type": "login", "username": "ada", "password": "x",
                    "totp_secret": "otpauth://totp/GitHub:ada?secret=jbsw y3dp ehpk 3pxp&digits=8"}
    });
    ok(keyhaven(
        &path,
        &["vault", "add", "--password-stdin", "--from-json"],
        &format!("{MASTER}\n{draft}\n"),
    ));
    let secret = keyhaven_vault::totp::TotpSecret::parse(
        "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&digits=8",
    )
    .unwrap();
    let before = secret.code_now();
    let printed = ok(keyhaven(
        &path,
        &["vault", "totp", "github", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    let as_json = ok(keyhaven(
        &path,
        &["--json", "vault", "totp", "github", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    let after = secret.code_now();
    let codes = [before.code.as_str(), after.code.as_str()];
    assert!(
        codes.contains(&printed.trim()),
        "{printed} is none of {codes:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&as_json).unwrap();
    assert!(codes.contains(&json["code"].as_str().unwrap()));
    assert_eq!(json["period"], 30);
    assert!((1..=30).contains(&json["seconds_left"].as_u64().unwrap()));

    add_login(&path, "No codes", "hunter2-but-longer");
    let none = keyhaven(
        &path,
        &["--json", "vault", "totp", "No codes", "--password-stdin"],
        &format!("{MASTER}\n"),
    );
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no_totp_secret"));

    let bad = serde_json::json!({
        "title": "Bad", "content": {"type": "login", "totp_secret": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5"}
    });
    let refused = keyhaven(
        &path,
        &["vault", "add", "--password-stdin", "--from-json"],
        &format!("{MASTER}\n{bad}\n"),
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("MD5"));
}

#[test]
fn health_reports_weak_reused_and_insecure_logins_as_json_and_text() {
    let (_dir, path) = new_vault();
    add_login(&path, "Mail", "password1");
    add_login(&path, "Bank", "vq8#Lm2!xT9@pR4$wZ7k");
    add_login(&path, "Shop", "vq8#Lm2!xT9@pR4$wZ7k");
    let report = ok(keyhaven(
        &path,
        &["--json", "vault", "health", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["counts"]["weak"], 1);
    assert_eq!(report["weak"][0]["item"]["title"], "Mail");
    assert_eq!(report["counts"]["reused"], 2);
    assert_eq!(report["reused"][0]["items"].as_array().unwrap().len(), 2);
    assert_eq!(report["leaks_checked_at"], serde_json::Value::Null);
    let text = ok(keyhaven(
        &path,
        &["vault", "health", "--password-stdin"],
        &format!("{MASTER}\n"),
    ));
    assert!(text.contains("Weak passwords: 1"), "{text}");
    assert!(
        text.contains("Reused passwords: 2 logins in 1 groups"),
        "{text}"
    );
    assert!(text.contains("Leaked passwords: not checked"), "{text}");

    // Offline, the leak check says it could not run (exit 7) and changes nothing.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/range/", closed.local_addr().unwrap());
    drop(closed);
    let offline = keyhaven(
        &path,
        &[
            "--json",
            "vault",
            "health",
            "--check-leaks",
            "--leak-check-url",
            &dead,
            "--password-stdin",
        ],
        &format!("{MASTER}\n"),
    );
    assert_eq!(offline.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&offline.stderr).contains("leak_check_unreachable"));
}
