use std::fs;
use std::path::{Path, PathBuf};

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{Card, Identity, ItemContent, ItemDraft, ItemKind, Login, SecureNote};
use keyhaven_vault::{KeyMaterial, Received, RemoteVersion, Vault, VaultError};
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
    assert_eq!((deleted, blob, dirty), (1, None, 1));
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
    let swapped = KeyMaterial {
        vault_id: uuid::Uuid::new_v4(),
        ..material
    };
    assert!(matches!(
        Vault::create_from_key_material(&path, PW, &swapped),
        Err(VaultError::WrongMasterPassword)
    ));
    assert!(!path.exists());
}

#[test]
fn local_changes_wait_for_a_push_until_the_service_takes_them() {
    let dir = TempDir::new().unwrap();
    let mut vault = Vault::create(&vault_path(&dir), PW, FAST).unwrap();
    let github = vault.add(login("GitHub", "ada", "pw")).unwrap();
    let bank = vault.add(login("Bank", "ada", "pw")).unwrap();
    let mut pending = vault.pending_changes().unwrap();
    pending.sort_by_key(|p| p.item_id != github.id);
    assert_eq!(
        pending.iter().map(|p| p.item_id).collect::<Vec<_>>(),
        [github.id, bank.id],
        "both items, in any order (they may share a millisecond)"
    );
    assert!(pending
        .iter()
        .all(|p| p.base_revision == 0 && p.blob.is_some()));

    assert!(vault
        .mark_pushed(github.id, 1, pending[0].blob.as_deref())
        .unwrap());
    vault.update(bank.id, login("Bank", "ada2", "pw")).unwrap();
    assert!(
        !vault
            .mark_pushed(bank.id, 1, pending[1].blob.as_deref())
            .unwrap(),
        "edited after the push"
    );
    let left = vault.pending_changes().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].item_id, left[0].base_revision), (bank.id, 1));

    vault.delete(github.id).unwrap();
    let deletion = vault
        .pending_changes()
        .unwrap()
        .into_iter()
        .find(|p| p.item_id == github.id)
        .unwrap();
    assert_eq!((deletion.base_revision, deletion.blob), (1, None));
}

fn remote(item_id: uuid::Uuid, revision: i64, blob: Option<Vec<u8>>) -> RemoteVersion {
    RemoteVersion {
        item_id,
        revision,
        blob,
    }
}

/// Two devices of one account: `first`'s vault and `second`, created from its key material.
fn two_devices(dir: &TempDir) -> (Vault, Vault) {
    let mut first = Vault::create(&vault_path(dir), PW, FAST).unwrap();
    let mut second = Vault::create_from_key_material(
        &dir.path().join("second.sqlite"),
        PW,
        &first.key_material(),
    )
    .unwrap();
    first.link_account("acct").unwrap();
    second.link_account("acct").unwrap();
    (first, second)
}

/// The sealed blob `vault` would push for `id` now.
fn pending_blob(vault: &Vault, id: uuid::Uuid) -> Option<Vec<u8>> {
    vault
        .pending_changes()
        .unwrap()
        .into_iter()
        .find(|p| p.item_id == id)
        .unwrap()
        .blob
}

/// The first device's pending version of `id` reaches the service at `revision`, then the second device.
fn share(first: &mut Vault, second: &mut Vault, id: uuid::Uuid, revision: i64) {
    let blob = pending_blob(first, id);
    assert!(first.mark_pushed(id, revision, blob.as_deref()).unwrap());
    second.receive(&remote(id, revision, blob)).unwrap();
}

fn username(vault: &Vault, id: uuid::Uuid) -> String {
    match vault.get(id).unwrap().content {
        ItemContent::Login(login) => login.username,
        _ => panic!("not a login"),
    }
}

#[test]
fn items_from_the_service_are_stored_and_indexed_and_their_own_echo_is_ignored() {
    let dir = TempDir::new().unwrap();
    let (mut first, mut second) = two_devices(&dir);
    let item = first.add(login("GitHub", "ada", "pw")).unwrap();
    let blob = pending_blob(&first, item.id);
    let received = second
        .receive_page(&[remote(item.id, 1, blob.clone())], 1)
        .unwrap();
    assert_eq!(received, [Received::Stored]);
    assert_eq!(second.get(item.id).unwrap(), item);
    assert_eq!(second.search("git").unwrap().len(), 1);
    assert!(
        second.pending_changes().unwrap().is_empty(),
        "a remote item is not a local change"
    );
    assert_eq!(second.sync_link().unwrap().unwrap().revision, 1);
    assert_eq!(
        second.receive(&remote(item.id, 1, blob)).unwrap(),
        Received::AlreadyCurrent
    );

    assert!(first
        .mark_pushed(item.id, 1, pending_blob(&first, item.id).as_deref())
        .unwrap());
    let other = first.add(login("Bank", "ada", "pw")).unwrap();
    second
        .receive(&remote(other.id, 2, pending_blob(&first, other.id)))
        .unwrap();
    assert_eq!(
        second.receive(&remote(other.id, 3, None)).unwrap(),
        Received::Stored
    );
    assert!(
        second.get(other.id).is_err(),
        "a remote deletion leaves no item"
    );
    assert_eq!(second.list().unwrap().len(), 1);
}

#[test]
fn concurrent_edits_merge_field_by_field_and_the_losing_value_is_kept_and_flagged() {
    let dir = TempDir::new().unwrap();
    let (mut first, mut second) = two_devices(&dir);
    let item = first.add(login("GitHub", "ada", "pw0")).unwrap();
    share(&mut first, &mut second, item.id, 1);

    // Both change the password; only the first changes the title, only the second the username.
    first
        .update(item.id, login("GitHub (work)", "ada", "first"))
        .unwrap();
    second
        .update(item.id, login("GitHub", "ada.second", "second"))
        .unwrap();
    let v2 = pending_blob(&first, item.id);
    first.mark_pushed(item.id, 2, v2.as_deref()).unwrap();

    assert_eq!(
        second.receive(&remote(item.id, 2, v2)).unwrap(),
        Received::Merged { conflicts: 1 }
    );
    let merged = second.get(item.id).unwrap();
    assert_eq!(merged.title, "GitHub (work)");
    assert_eq!(username(&second, item.id), "ada.second");
    assert!(matches!(&merged.content, ItemContent::Login(l) if l.password == "first"));
    assert!(merged
        .password_history
        .iter()
        .any(|e| e.password == "second"));
    assert!(merged.needs_review);
    assert_eq!(
        second.search("work").unwrap().len(),
        1,
        "the index follows the merge"
    );
    let pending = second.pending_changes().unwrap();
    assert_eq!(
        (pending[0].item_id, pending[0].base_revision),
        (item.id, 2),
        "the merge is pushed on top of the remote version"
    );

    let reviewed = second.mark_reviewed(item.id).unwrap();
    assert!(!reviewed.needs_review);
    assert!(reviewed
        .password_history
        .iter()
        .any(|e| e.password == "second"));
}

#[test]
fn an_edit_wins_over_a_concurrent_delete_on_either_side() {
    let dir = TempDir::new().unwrap();
    let (mut first, mut second) = two_devices(&dir);
    let a = first.add(login("A", "ada", "pw")).unwrap();
    let b = first.add(login("B", "ada", "pw")).unwrap();
    for id in [a.id, b.id] {
        share(&mut first, &mut second, id, 1);
    }

    // A: edited here, deleted there. B: deleted here, edited there.
    second.update(a.id, login("A", "ada.edited", "pw")).unwrap();
    second.delete(b.id).unwrap();
    first.update(b.id, login("B", "bob.edited", "pw")).unwrap();
    let b2 = pending_blob(&first, b.id);

    assert_eq!(
        second.receive(&remote(a.id, 2, None)).unwrap(),
        Received::KeptLocalEdit
    );
    assert_eq!(username(&second, a.id), "ada.edited");
    assert_eq!(
        second.receive(&remote(b.id, 3, b2)).unwrap(),
        Received::RestoredRemoteEdit
    );
    assert_eq!(username(&second, b.id), "bob.edited");
    let pending = second.pending_changes().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].item_id,
            pending[0].base_revision,
            pending[0].blob.is_some()
        ),
        (a.id, 2, true),
        "the kept edit is pushed again over the tombstone"
    );
}

#[test]
fn an_item_the_service_has_no_trace_of_is_pushed_again_as_new() {
    let dir = TempDir::new().unwrap();
    let (mut first, _) = two_devices(&dir);
    let item = first.add(login("A", "ada", "pw")).unwrap();
    let blob = pending_blob(&first, item.id);
    first.mark_pushed(item.id, 4, blob.as_deref()).unwrap();
    first
        .update(item.id, login("A", "ada.edited", "pw"))
        .unwrap();
    assert_eq!(
        first.receive(&remote(item.id, 0, None)).unwrap(),
        Received::KeptLocalEdit
    );
    let pending = first.pending_changes().unwrap();
    assert_eq!(
        (pending[0].base_revision, pending[0].blob.is_some()),
        (0, true)
    );
    assert_eq!(username(&first, item.id), "ada.edited");
}

#[test]
fn an_edit_started_before_a_sync_merges_with_what_the_sync_brought() {
    let dir = TempDir::new().unwrap();
    let (mut first, mut second) = two_devices(&dir);
    let item = first.add(login("GitHub", "ada", "pw0")).unwrap();
    share(&mut first, &mut second, item.id, 1);

    // The form on the second device opens the item; meanwhile the first device's change of
    // the title and the password arrives.
    let opened = second.get(item.id).unwrap();
    first
        .update(item.id, login("GitHub (work)", "ada", "from-first"))
        .unwrap();
    let v2 = pending_blob(&first, item.id);
    second.receive(&remote(item.id, 2, v2)).unwrap();

    // Saving the form (new username and password) keeps the arrived title; both passwords stay.
    let saved = second
        .update_from(item.id, login("GitHub", "ada.form", "from-form"), &opened)
        .unwrap();
    assert_eq!(saved.title, "GitHub (work)");
    assert_eq!(username(&second, item.id), "ada.form");
    let passwords: Vec<String> = std::iter::once(match &saved.content {
        ItemContent::Login(l) => l.password.clone(),
        _ => unreachable!(),
    })
    .chain(saved.password_history.iter().map(|e| e.password.clone()))
    .collect();
    assert!(
        passwords.contains(&"from-first".to_string())
            && passwords.contains(&"from-form".to_string()),
        "{passwords:?}"
    );
    assert!(saved.needs_review);

    // Without anything arriving in between it is a plain edit.
    let current = second.get(item.id).unwrap();
    let plain = second
        .update_from(
            item.id,
            login("GitHub (work)", "ada.form", "newest"),
            &current,
        )
        .unwrap();
    assert!(matches!(&plain.content, ItemContent::Login(l) if l.password == "newest"));
}

#[test]
fn a_page_with_an_item_that_does_not_open_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let (mut first, mut second) = two_devices(&dir);
    let good = first.add(login("Good", "ada", "pw")).unwrap();
    let mut foreign = Vault::create(&dir.path().join("foreign.sqlite"), PW, FAST).unwrap();
    let bad = foreign.add(login("Bad", "eve", "pw")).unwrap();
    let page = [
        remote(good.id, 1, pending_blob(&first, good.id)),
        remote(bad.id, 1, pending_blob(&foreign, bad.id)),
    ];
    let err = second.receive_page(&page, 1).unwrap_err();
    assert_eq!(err.code(), "vault_corrupt");
    assert!(second.get(good.id).is_err(), "nothing of the page was kept");
    assert!(second.list().unwrap().is_empty(), "nor indexed");
    assert_eq!(second.sync_link().unwrap().unwrap().revision, 0);
}

#[test]
fn a_vault_syncs_with_one_account_and_unlinking_keeps_every_item_to_upload_again() {
    let dir = TempDir::new().unwrap();
    let (mut first, _) = two_devices(&dir);
    assert_eq!(
        first.link_account("someone-else").unwrap_err().code(),
        "vault_linked_elsewhere"
    );
    let kept = first.add(login("Kept", "ada", "pw")).unwrap();
    let gone = first.add(login("Gone", "ada", "pw")).unwrap();
    for id in [kept.id, gone.id] {
        let blob = pending_blob(&first, id);
        first.mark_pushed(id, 1, blob.as_deref()).unwrap();
    }
    first.delete(gone.id).unwrap();
    first.unlink_account().unwrap();
    assert_eq!(first.sync_link().unwrap(), None);
    let pending = first.pending_changes().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].item_id, pending[0].base_revision), (kept.id, 0));
    assert_eq!(
        first.receive_page(&[], 5).unwrap_err().code(),
        "vault_not_linked"
    );
    first.link_account("someone-else").unwrap();
}

#[test]
fn a_remote_blob_that_does_not_open_under_this_vault_is_refused() {
    let dir = TempDir::new().unwrap();
    let mut mine = Vault::create(&vault_path(&dir), PW, FAST).unwrap();
    let mut foreign = Vault::create(&dir.path().join("foreign.sqlite"), PW, FAST).unwrap();
    let item = foreign.add(login("Foreign", "eve", "pw")).unwrap();
    let blob = foreign.pending_changes().unwrap().remove(0).blob.unwrap();
    assert!(mine.receive(&remote(item.id, 1, Some(blob))).is_err());
    assert!(mine.get(item.id).is_err());
    assert!(mine.pending_changes().unwrap().is_empty());
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
