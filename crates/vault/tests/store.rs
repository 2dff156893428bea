use std::fs;
use std::path::{Path, PathBuf};

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{Card, Identity, ItemContent, ItemDraft, ItemKind, Login, SecureNote};
use keyhaven_vault::{KeyMaterial, Vault, VaultError};
use tempfile::TempDir;

const PW: &[u8] = b"correct horse battery staple";
const FAST: KdfParams = KdfParams::MINIMUM;

fn vault_path(dir: &TempDir) -> PathBuf {
    dir.path().join("user").join("vault.sqlite")
}

fn login(title: &str, username: &str, password: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::Login(Login {
            username: username.into(),
            password: password.into(),
            urls: vec![format!("https://{}.example", title.to_lowercase())],
            ..Login::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

fn draft(title: &str, content: ItemContent) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content,
        favourite: true,
        folder: Some("Personal".into()),
        tags: vec!["t".into()],
    }
}

fn files_snapshot(path: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            fs::read(&p).ok().map(|bytes| (suffix.to_string(), bytes))
        })
        .collect()
}

#[test]
fn a_created_vault_reopens_and_unlocks_with_every_item_type() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    vault.add(login("GitHub", "ada", "s3cret")).unwrap();
    vault
        .add(draft(
            "Diary",
            ItemContent::SecureNote(SecureNote {
                notes: "dear diary".into(),
                ..Default::default()
            }),
        ))
        .unwrap();
    vault
        .add(draft(
            "Visa",
            ItemContent::Card(Card {
                number: "4111111111111111".into(),
                expiry_month: Some(12),
                ..Default::default()
            }),
        ))
        .unwrap();
    vault
        .add(draft(
            "Me",
            ItemContent::Identity(Identity {
                first_name: "Ada".into(),
                ..Default::default()
            }),
        ))
        .unwrap();
    drop(vault);

    let mut vault = Vault::open(&path).unwrap();
    assert!(!vault.is_unlocked());
    assert_eq!(vault.list().unwrap_err().code(), "vault_locked");
    vault.unlock(PW).unwrap();
    let kinds: Vec<ItemKind> = vault.list().unwrap().iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            ItemKind::SecureNote,
            ItemKind::Login,
            ItemKind::Identity,
            ItemKind::Card
        ]
    );
    let github = vault.resolve("github").unwrap();
    match vault.get(github).unwrap().content {
        ItemContent::Login(login) => assert_eq!(login.password, "s3cret"),
        other => panic!("expected a login, got {other:?}"),
    }
}

#[test]
fn files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    Vault::create(&path, PW, FAST).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

#[test]
fn creating_over_an_existing_vault_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    Vault::create(&path, PW, FAST).unwrap();
    assert_eq!(
        Vault::create(&path, b"other", FAST).unwrap_err().code(),
        "vault_exists"
    );
    Vault::open(&path).unwrap().unlock(PW).unwrap();
}

#[test]
fn a_wrong_master_password_is_typed_and_changes_nothing_on_disk() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    vault.add(login("A", "a", "a")).unwrap();
    drop(vault);
    let before = files_snapshot(&path);
    let mut vault = Vault::open(&path).unwrap();
    assert_eq!(
        vault.unlock(b"wrong").unwrap_err().code(),
        "wrong_master_password"
    );
    assert!(!vault.is_unlocked());
    drop(vault);
    assert!(
        files_snapshot(&path) == before,
        "a failed unlock must not write"
    );
}

#[test]
fn changing_the_master_password_rewraps_the_key_and_leaves_items_untouched() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    let item = vault.add(login("A", "a", "pw-a")).unwrap();
    let blob_before = item_blob(&path, item.id);
    let stronger = KdfParams {
        memory_kib: 24 * 1024,
        iterations: 3,
        parallelism: 2,
    };
    assert_eq!(
        vault
            .change_master_password(b"wrong", b"new", stronger)
            .unwrap_err()
            .code(),
        "wrong_master_password"
    );
    vault
        .change_master_password(PW, b"new master password", stronger)
        .unwrap();
    drop(vault);

    assert!(
        item_blob(&path, item.id) == blob_before,
        "items must not be re-encrypted"
    );
    let mut vault = Vault::open(&path).unwrap();
    assert_eq!(vault.kdf_params(), stronger);
    assert_eq!(
        vault.unlock(PW).unwrap_err().code(),
        "wrong_master_password"
    );
    vault.unlock(b"new master password").unwrap();
    assert_eq!(vault.get(item.id).unwrap().title, "A");
}

#[test]
fn weak_kdf_parameters_are_refused_whoever_wrote_them() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let weak = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };
    assert_eq!(
        Vault::create(&path, PW, weak).unwrap_err().code(),
        "weak_kdf_params"
    );
    Vault::create(&path, PW, FAST).unwrap();
    sql(
        &path,
        "UPDATE vault SET kdf_memory_kib = 1024, kdf_iterations = 1",
    );
    let mut vault = Vault::open(&path).unwrap();
    assert_eq!(vault.unlock(PW).unwrap_err().code(), "weak_kdf_params");
}

#[test]
fn updates_keep_password_history_and_deletes_leave_tombstones() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    let item = vault.add(login("Mail", "ada", "first")).unwrap();
    let updated = vault
        .update(item.id, login("Mail", "ada", "second"))
        .unwrap();
    assert_eq!(updated.created_at, item.created_at);
    assert_eq!(updated.password_history[0].password, "first");
    vault.delete(item.id).unwrap();
    assert_eq!(vault.get(item.id).unwrap_err().code(), "item_not_found");
    assert_eq!(vault.delete(item.id).unwrap_err().code(), "item_not_found");
    assert!(vault.list().unwrap().is_empty());
    drop(vault);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (deleted, blob, dirty): (i64, Option<Vec<u8>>, i64) = conn
        .query_row(
            "SELECT deleted, blob, dirty FROM items WHERE id = ?1",
            [item.id.as_bytes().as_slice()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((deleted, dirty), (1, 1));
    let tombstone = blob.expect("a deletion is a sealed tombstone");
    assert_eq!(tombstone[0], keyhaven_vault::crypto::ITEM_FORMAT_VERSION);
    assert!(
        tombstone.len() < 80,
        "a tombstone holds no item: {} bytes",
        tombstone.len()
    );
    let bookkeeping: i64 = conn
        .query_row("SELECT count(*) FROM pragma_table_info('items') WHERE name IN ('server_revision', 'base_blob', 'dirty')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(bookkeeping, 3);
}

#[test]
fn search_finds_items_while_unlocked_only() {
    let dir = TempDir::new().unwrap();
    let mut vault = Vault::create(&vault_path(&dir), PW, FAST).unwrap();
    vault.add(login("GitHub", "ada@example.com", "x")).unwrap();
    vault.add(login("Gitlab", "bob", "y")).unwrap();
    let hits: Vec<String> = vault
        .search("GIT ada")
        .unwrap()
        .into_iter()
        .map(|s| s.title.clone())
        .collect();
    assert_eq!(hits, ["GitHub"]);
    vault.lock();
    assert_eq!(vault.search("git").unwrap_err().code(), "vault_locked");
}

#[test]
fn a_garbage_file_is_a_clear_error_naming_it_and_is_never_overwritten() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.sqlite");
    let garbage = b"this is not a database, it is a shopping list".repeat(100);
    fs::write(&path, &garbage).unwrap();
    let err = Vault::open(&path).unwrap_err();
    assert_eq!(err.code(), "vault_corrupt");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(
        Vault::create(&path, PW, FAST).unwrap_err().code(),
        "vault_exists"
    );
    assert!(
        fs::read(&path).unwrap() == garbage,
        "the file must be left as it was"
    );
}

#[test]
fn a_truncated_vault_is_a_clear_error_and_is_never_overwritten() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    for n in 0..300 {
        vault
            .add(login(&format!("Item {n}"), "user", &"p".repeat(200)))
            .unwrap();
    }
    drop(vault);
    let full = fs::read(&path).unwrap();
    assert!(full.len() > 8192, "the vault should span several pages");
    for cut in [100, 4096 + 17, full.len() / 2] {
        fs::write(&path, &full[..cut]).unwrap();
        let outcome = Vault::open(&path).and_then(|mut v| v.unlock(PW).map(|_| v));
        let err = outcome.expect_err("a truncated vault must not open cleanly");
        assert_eq!(err.code(), "vault_corrupt", "cut at {cut}: {err}");
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(
            fs::read(&path).unwrap() == full[..cut],
            "the file must be left as it was"
        );
    }
}

#[test]
fn a_foreign_sqlite_database_is_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("other.sqlite");
    sql(
        &path,
        "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');",
    );
    let before = fs::read(&path).unwrap();
    assert_eq!(Vault::open(&path).unwrap_err().code(), "vault_corrupt");
    assert!(
        fs::read(&path).unwrap() == before,
        "the file must be left as it was"
    );
}

#[test]
fn an_item_blob_moved_to_another_id_is_detected() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    let a = vault.add(login("A", "a", "a")).unwrap();
    let b = vault.add(login("B", "b", "b")).unwrap();
    drop(vault);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE items SET blob = (SELECT blob FROM items WHERE id = ?1) WHERE id = ?2",
        [a.id.as_bytes().as_slice(), b.id.as_bytes().as_slice()],
    )
    .unwrap();
    drop(conn);
    let mut vault = Vault::open(&path).unwrap();
    let err = vault.unlock(PW).unwrap_err();
    assert_eq!(err.code(), "vault_corrupt");
    assert!(err.to_string().contains(&b.id.to_string()), "{err}");
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    Vault::create(&path, PW, FAST).unwrap();
    sql(&path, "UPDATE schema_version SET version = 99");
    assert_eq!(Vault::open(&path).unwrap_err().code(), "vault_newer_schema");
}

#[test]
fn two_connections_write_concurrently_without_losing_anything() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    Vault::create(&path, PW, FAST).unwrap();
    let master = Vault::open(&path).unwrap().derive_master_key(PW).unwrap();
    std::thread::scope(|scope| {
        for writer in 0..2 {
            let (path, master) = (&path, &master);
            scope.spawn(move || {
                let mut vault = Vault::open(path).unwrap();
                vault.unlock_with_master_key(master).unwrap();
                for n in 0..50 {
                    vault
                        .add(login(&format!("w{writer}-{n}"), "u", "p"))
                        .unwrap();
                }
            });
        }
    });
    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PW).unwrap();
    assert_eq!(vault.list().unwrap().len(), 100);
}

fn item_blob(path: &Path, id: uuid::Uuid) -> Vec<u8> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT blob FROM items WHERE id = ?1",
        [id.as_bytes().as_slice()],
        |r| r.get(0),
    )
    .unwrap()
}

fn sql(path: &Path, statements: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(statements)
        .unwrap();
}

#[test]
fn an_empty_file_left_by_a_crash_during_creation_is_taken_over() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, b"").unwrap();
    assert_eq!(Vault::open(&path).unwrap_err().code(), "vault_not_found");
    Vault::create(&path, PW, FAST).unwrap();
    Vault::open(&path).unwrap().unlock(PW).unwrap();
}

#[test]
fn an_item_type_from_a_newer_keyhaven_unlocks_lists_and_survives_an_edit() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    let draft: ItemDraft = serde_json::from_value(serde_json::json!({
        "title": "Bank passkey",
        "content": {"type": "passkey", "rp_id": "bank.example", "credential": {"alg": -7}}
    }))
    .unwrap();
    let item = vault.add(draft).unwrap();
    drop(vault);

    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PW).unwrap();
    assert_eq!(vault.list().unwrap()[0].kind, ItemKind::Other);
    let mut edit = vault.get(item.id).unwrap().to_draft();
    edit.title = "Bank".into();
    let edited = vault.update(item.id, edit).unwrap();
    let content = serde_json::to_value(&edited.content).unwrap();
    assert_eq!(
        content,
        serde_json::json!({"type": "passkey", "rp_id": "bank.example", "credential": {"alg": -7}})
    );
}

#[test]
fn a_second_device_creates_the_same_vault_from_its_key_material() {
    let dir = TempDir::new().unwrap();
    let first = Vault::create(&vault_path(&dir), PW, FAST).unwrap();
    let material = first.key_material();
    assert_eq!(material.vault_id, first.id());
    assert_eq!(material.kdf, FAST);
    assert_eq!(material.salt.len(), 16);

    let second_path = dir.path().join("second.sqlite");
    let mut second = Vault::create_from_key_material(&second_path, PW, &material).unwrap();
    assert!(second.is_unlocked());
    assert_eq!(second.key_material(), material);
    let item = second.add(login("GitHub", "ada", "pw")).unwrap();
    drop(second);
    let mut reopened = Vault::open(&second_path).unwrap();
    reopened.unlock(PW).unwrap();
    assert_eq!(reopened.get(item.id).unwrap().title, "GitHub");
}

#[test]
fn key_material_with_a_wrong_password_or_weak_parameters_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let material = Vault::create(&vault_path(&dir), PW, FAST)
        .unwrap()
        .key_material();
    let path = dir.path().join("second.sqlite");
    let wrong = Vault::create_from_key_material(&path, b"not the master password", &material);
    assert!(
        matches!(wrong, Err(VaultError::WrongMasterPassword)),
        "{wrong:?}"
    );
    assert!(!path.exists());
    let weak = KeyMaterial {
        kdf: KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        ..material.clone()
    };
    assert!(matches!(
        Vault::create_from_key_material(&path, PW, &weak),
        Err(VaultError::WeakKdfParams(_))
    ));
    // The right master password (its key check matches) on key material bound to another
    // vault id: the material was changed, which is not the same as a mistyped password.
    let swapped = KeyMaterial {
        vault_id: uuid::Uuid::new_v4(),
        ..material
    };
    assert!(matches!(
        Vault::create_from_key_material(&path, PW, &swapped),
        Err(VaultError::KeyMaterialTampered)
    ));
    assert!(!path.exists());
}

#[test]
fn an_item_imported_from_another_vault_keeps_its_id_history_and_times_and_imports_once() {
    let dir = TempDir::new().unwrap();
    let mut from = Vault::create(&dir.path().join("a").join("vault.sqlite"), PW, FAST).unwrap();
    let item = from.add(login("GitHub", "ada", "gh-1")).unwrap();
    let item = from
        .update(item.id, login("GitHub", "ada", "gh-2"))
        .unwrap();
    let mut into = Vault::create(
        &dir.path().join("b").join("vault.sqlite"),
        b"another master password",
        FAST,
    )
    .unwrap();
    assert!(into.import(&item).unwrap());
    assert!(
        !into.import(&item).unwrap(),
        "a second import changes nothing"
    );
    let imported = into.get(item.id).unwrap();
    assert_eq!(imported, item);
    assert_eq!(imported.password_history.len(), 1);
    assert_eq!(into.list().unwrap().len(), 1);
    assert_eq!(
        into.pending_changes().unwrap().len(),
        1,
        "it goes up with the next sync"
    );
}

#[test]
fn an_import_adds_every_item_with_its_own_times_in_one_transaction_and_a_rerun_adds_none() {
    let dir = TempDir::new().unwrap();
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PW, FAST).unwrap();
    let items: Vec<keyhaven_vault::item::Item> = (0..50)
        .map(|n| {
            let mut item = keyhaven_vault::item::Item::new(
                login(&format!("Site {n}"), "ada", "pw"),
                uuid::Uuid::new_v4(),
                1_000,
            );
            item.updated_at = 2_000 + n;
            item
        })
        .collect();
    assert_eq!(vault.import_all(&items).unwrap(), 50);
    assert_eq!(
        vault.import_all(&items).unwrap(),
        0,
        "ids already here are left alone"
    );
    let found = vault.search("Site 42").unwrap();
    assert_eq!(
        found.first().map(|s| s.title.as_str()),
        Some("Site 42"),
        "the search index has them"
    );
    drop(vault);
    let mut reopened = Vault::open(&path).unwrap();
    reopened.unlock(PW).unwrap();
    let stored = reopened.items().unwrap();
    assert_eq!(stored.len(), 50);
    let first = stored.iter().find(|i| i.title == "Site 0").unwrap();
    assert_eq!((first.created_at, first.updated_at), (1_000, 2_000));
}
