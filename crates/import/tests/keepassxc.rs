//! KeePass files made by the real KeePassXC (`keepassxc-cli`, Debian package `keepassxc`, which
//! `scripts/install-deps.sh` installs): a KDBX 3.1 database as `db-create` makes it, a KDBX 4 one
//! as `import` makes it from the first one's XML with attributes added, and the CSV export of
//! each; every field is compared. Keyhaven's own KDBX export is opened by `keepassxc-cli`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use keyhaven_import::{kdbx_export, Format, ImportError, Imported, Unlock};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{Item, ItemContent, Login};

const PASSWORD: &str = "dbpass ünï 🔑";
const AWKWARD: &str = "\"quoted\", comma; =SUM(A1) \\ back ünï 🔑 'x' <tag> &amp;";
const OLD_PASSWORD: &str = "the old one, replaced";
const NOTES: &str = "line 1\nline 2\n    indented\n\nafter a blank line";
const WIFI: &str = "Wifi\n====\npassword: hunter2";

fn cli(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new("keepassxc-cli")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepassxc-cli runs (scripts/install-deps.sh installs the keepassxc package)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "keepassxc-cli {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn unlock() -> String {
    format!("{PASSWORD}\n")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The KDBX 3.1 database `db-create` makes, filled with `mkdir`, `add`, `edit` (which keeps the
/// old password in the entry's history) and `attachment-import`.
fn kdbx3(dir: &Path) -> PathBuf {
    let db = dir.join("keepassxc-3.kdbx");
    let d = s(&db);
    cli(
        &["db-create", "-q", "-p", d],
        &format!("{PASSWORD}\n{PASSWORD}\n"),
    );
    cli(&["mkdir", "-q", d, "Work"], &unlock());
    cli(&["mkdir", "-q", d, "Work/Git ünï"], &unlock());
    cli(
        &[
            "add",
            "-q",
            "-u",
            "alice@example.com",
            "--url",
            "https://github.com/login",
            "--notes",
            NOTES,
            "-p",
            d,
            "Work/Git ünï/GitHub ✓",
        ],
        &format!("{PASSWORD}\n{OLD_PASSWORD}\n"),
    );
    cli(
        &["edit", "-q", "-p", d, "Work/Git ünï/GitHub ✓"],
        &format!("{PASSWORD}\n{AWKWARD}\n"),
    );
    cli(
        &["add", "-q", "--notes", WIFI, d, "Wifi at home"],
        &unlock(),
    );
    let scan = dir.join("scan.pdf");
    std::fs::write(&scan, b"%PDF-1.4 not really").unwrap();
    cli(
        &[
            "attachment-import",
            "-q",
            d,
            "Work/Git ünï/GitHub ✓",
            "scan.pdf",
            s(&scan),
        ],
        &unlock(),
    );
    db
}

/// A KDBX 4 database made by `import` from the first one's XML, with custom attributes (one
/// protected), a TOTP secret, a second URL and tags added, and custom data (which makes
/// KeePassXC write KDBX 4).
fn kdbx4(dir: &Path, from: &Path) -> PathBuf {
    let xml =
        String::from_utf8(cli(&["export", "-q", "-f", "xml", s(from)], &unlock()).stdout).unwrap();
    let title = xml
        .find("<Value>GitHub ✓</Value>")
        .expect("the XML names the entry");
    let after = title + xml[title..].find("</String>").unwrap() + "</String>".len();
    let added = "\
         <String><Key>otp</Key><Value ProtectInMemory=\"True\">otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&amp;issuer=GitHub</Value></String>\
         <String><Key>Recovery code</Key><Value ProtectInMemory=\"True\">rc-1234-5678</Value></String>\
         <String><Key>Account id</Key><Value>42</Value></String>\
         <String><Key>KP2A_URL</Key><Value>https://gist.github.com</Value></String>\
         <Tags>dev;work</Tags>\
         <CustomData><Item><Key>KPXC_keyhaven_test</Key><Value>1</Value></Item></CustomData>";
    let xml = format!("{}{added}{}", &xml[..after], &xml[after..]);
    let xml_file = dir.join("edited.xml");
    std::fs::write(&xml_file, xml).unwrap();
    let db = dir.join("keepassxc-4.kdbx");
    cli(
        &["import", "-q", "-p", s(&xml_file), s(&db)],
        &format!("{PASSWORD}\n{PASSWORD}\n"),
    );
    let d = s(&db);
    cli(
        &[
            "add",
            "-q",
            "-u",
            "bob",
            "--url",
            "https://old.example",
            "-p",
            d,
            "Old account",
        ],
        &format!("{PASSWORD}\nold-pass\n"),
    );
    cli(&["rm", "-q", d, "Old account"], &unlock());
    let header = std::fs::read(&db).unwrap();
    assert_eq!(header[10..12], [4, 0], "KeePassXC wrote KDBX 4");
    db
}

fn read_kdbx(path: &Path) -> Imported {
    Format::Kdbx
        .open(
            path.file_name().unwrap().to_str().unwrap(),
            &std::fs::read(path).unwrap(),
            &Unlock::password(PASSWORD),
        )
        .unwrap()
}

fn read_csv(db: &Path) -> Imported {
    let csv = cli(&["export", "-q", "-f", "csv", s(db)], &unlock()).stdout;
    Format::KeepassXcCsv.read("keepassxc.csv", &csv).unwrap()
}

fn by_title<'a>(imported: &'a Imported, title: &str) -> &'a Item {
    imported
        .items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("no {title} in {:?}", imported.items))
}

fn login(item: &Item) -> &Login {
    match &item.content {
        ItemContent::Login(login) => login,
        other => panic!("{} is not a login: {other:?}", item.title),
    }
}

fn assert_common(imported: &Imported) {
    let github = by_title(imported, "GitHub ✓");
    assert_eq!(github.folder.as_deref(), Some("Work/Git ünï"));
    let gh = login(github);
    assert_eq!(gh.username, "alice@example.com");
    assert_eq!(gh.password, AWKWARD);
    assert_eq!(
        gh.urls.first().map(String::as_str),
        Some("https://github.com/login")
    );
    assert_eq!(gh.notes, NOTES);
    assert!(github.created_at > 1_700_000_000_000 && github.updated_at >= github.created_at);
    let wifi = by_title(imported, "Wifi at home");
    assert_eq!(wifi.folder, None);
    match &wifi.content {
        ItemContent::SecureNote(note) => assert_eq!(note.notes, WIFI),
        ItemContent::Login(login) => assert_eq!(login.notes, WIFI),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_kdbx_3_1_database_from_keepassxc_imports_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = kdbx3(dir.path());
    assert_eq!(
        &std::fs::read(&db).unwrap()[8..12],
        &[1, 0, 3, 0],
        "KDBX 3.1"
    );
    let imported = read_kdbx(&db);
    assert_common(&imported);
    assert_eq!(imported.items.len(), 2, "{:?}", imported.items);
    let github = by_title(&imported, "GitHub ✓");
    assert_eq!(
        github
            .password_history
            .iter()
            .map(|h| h.password.as_str())
            .collect::<Vec<_>>(),
        [OLD_PASSWORD]
    );
    assert!(matches!(
        by_title(&imported, "Wifi at home").content,
        ItemContent::SecureNote(_)
    ));
    assert!(imported.skipped.is_empty());
    assert_eq!(imported.not_kept.len(), 1);
    assert_eq!(imported.not_kept[0].item, "GitHub ✓");
    assert!(imported.not_kept[0].what.contains("scan.pdf"));
}

#[test]
fn a_kdbx_4_database_from_keepassxc_keeps_attributes_totp_urls_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let db = kdbx4(dir.path(), &kdbx3(dir.path()));
    let imported = read_kdbx(&db);
    assert_common(&imported);
    let github = by_title(&imported, "GitHub ✓");
    let gh = login(github);
    assert_eq!(
        gh.totp_secret.as_deref(),
        Some("otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub")
    );
    assert_eq!(
        gh.urls,
        ["https://github.com/login", "https://gist.github.com"]
    );
    let fields: Vec<(&str, &str, bool)> = gh
        .custom_fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str(), f.hidden))
        .collect();
    assert_eq!(
        fields,
        [
            ("Account id", "42", false),
            ("Recovery code", "rc-1234-5678", true)
        ]
    );
    assert_eq!(github.tags, ["dev", "work"]);
    assert_eq!(github.password_history.len(), 1);
    assert_eq!(imported.items.len(), 2, "{:?}", imported.items);
    assert_eq!(imported.skipped.len(), 1);
    assert_eq!(imported.skipped[0].title, "Old account");
    assert!(imported.skipped[0].reason.contains("recycle bin"));
}

#[test]
fn keepassxcs_csv_export_imports_the_same_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = kdbx4(dir.path(), &kdbx3(dir.path()));
    let from_csv = read_csv(&db);
    assert_common(&from_csv);
    assert_eq!(from_csv.items.len(), 2);
    assert_eq!(
        from_csv.skipped.len(),
        1,
        "the recycle bin's entry: {:?}",
        from_csv.skipped
    );
    assert_eq!(from_csv.skipped[0].title, "Old account");
    let gh = login(by_title(&from_csv, "GitHub ✓"));
    // KeePassXC's CSV writes the URI again, with its own label and the defaults spelled out.
    let totp = gh.totp_secret.as_deref().unwrap_or_default();
    assert!(
        totp.starts_with("otpauth://totp/") && totp.contains("secret=JBSWY3DPEHPK3PXP"),
        "{totp}"
    );
    let from_kdbx = read_kdbx(&db);
    for item in &from_csv.items {
        let twin = by_title(&from_kdbx, &item.title);
        assert_eq!(item.folder, twin.folder, "{}", item.title);
        assert_eq!(
            item.created_at / 1000,
            twin.created_at / 1000,
            "{}",
            item.title
        );
    }
}

#[test]
fn a_wrong_password_a_key_file_and_a_cut_file_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let db = kdbx3(dir.path());
    let bytes = std::fs::read(&db).unwrap();
    let wrong = Format::Kdbx.open("k.kdbx", &bytes, &Unlock::password("not it"));
    assert_eq!(
        wrong.unwrap_err(),
        ImportError::WrongPasswordOrDamaged {
            file: "k.kdbx".into()
        }
    );
    let bytes4 = std::fs::read(kdbx4(dir.path(), &db)).unwrap();
    let wrong4 = Format::Kdbx.open("k4.kdbx", &bytes4, &Unlock::password("not it"));
    assert_eq!(
        wrong4.unwrap_err(),
        ImportError::WrongPassword {
            file: "k4.kdbx".into()
        }
    );
    for cut_at in [bytes4.len() / 2, bytes4.len() - 1, 200] {
        let cut = Format::Kdbx.open("k4.kdbx", &bytes4[..cut_at], &Unlock::password(PASSWORD));
        assert!(
            matches!(&cut, Err(ImportError::WrongFormat { file, .. }) if file == "k4.kdbx"),
            "cut at {cut_at}: {cut:?}"
        );
    }
    let none = Format::Kdbx.open("k.kdbx", &bytes, &Unlock::none());
    assert_eq!(
        none.unwrap_err(),
        ImportError::PasswordNeeded {
            file: "k.kdbx".into()
        }
    );
    let csv = Format::Kdbx.open("k.csv", b"Group,Title\n", &Unlock::password(PASSWORD));
    assert!(matches!(csv, Err(ImportError::WrongFormat { .. })));

    let keyed = dir.path().join("keyed.kdbx");
    let key = dir.path().join("keyed.key");
    cli(
        &[
            "db-create",
            "-q",
            "-p",
            "--set-key-file",
            s(&key),
            s(&keyed),
        ],
        &format!("{PASSWORD}\n{PASSWORD}\n"),
    );
    cli(
        &[
            "add",
            "-q",
            "-k",
            s(&key),
            "-u",
            "k",
            s(&keyed),
            "Keyed entry",
        ],
        &unlock(),
    );
    let keyed_bytes = std::fs::read(&keyed).unwrap();
    let with_key = Unlock {
        key_file: Some(std::fs::read(&key).unwrap().into()),
        ..Unlock::password(PASSWORD)
    };
    let imported = Format::Kdbx
        .open("keyed.kdbx", &keyed_bytes, &with_key)
        .unwrap();
    assert_eq!(imported.items[0].title, "Keyed entry");
    let without_key = Format::Kdbx.open("keyed.kdbx", &keyed_bytes, &Unlock::password(PASSWORD));
    assert_eq!(
        without_key.unwrap_err(),
        ImportError::WrongPasswordOrDamaged {
            file: "keyed.kdbx".into()
        }
    );
}

#[test]
fn keepassxc_opens_keyhavens_kdbx_export_with_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let source = read_kdbx(&kdbx4(dir.path(), &kdbx3(dir.path())));
    let file = kdbx_export::write(&source.items, "export pw", KdfParams::MINIMUM).unwrap();
    let out = dir.path().join("keyhaven.kdbx");
    std::fs::write(&out, &file).unwrap();
    let listing =
        String::from_utf8(cli(&["ls", "-q", "-R", "-f", s(&out)], "export pw\n").stdout).unwrap();
    assert!(listing.contains("Work/Git ünï/GitHub ✓"), "{listing}");
    let shown = String::from_utf8(
        cli(
            &[
                "show",
                "-q",
                "-s",
                "-a",
                "Password",
                "-a",
                "Recovery code",
                "-a",
                "otp",
                s(&out),
                "Work/Git ünï/GitHub ✓",
            ],
            "export pw\n",
        )
        .stdout,
    )
    .unwrap();
    assert!(shown.contains(AWKWARD), "{shown}");
    assert!(shown.contains("rc-1234-5678"), "{shown}");
    assert!(shown.contains("JBSWY3DPEHPK3PXP"), "{shown}");
    let back = Format::Kdbx
        .open("keyhaven.kdbx", &file, &Unlock::password("export pw"))
        .unwrap();
    for item in &source.items {
        let twin = by_title(&back, &item.title);
        assert_eq!(item.content, twin.content, "{}", item.title);
        assert_eq!(item.folder, twin.folder);
        assert_eq!(item.tags, twin.tags);
        assert_eq!(item.password_history, twin.password_history);
        assert_eq!(item.created_at / 1000, twin.created_at / 1000);
        assert_eq!(item.updated_at / 1000, twin.updated_at / 1000);
    }
}

#[test]
fn keepassxcs_xml_export_imports_exactly_what_the_database_holds() {
    let dir = tempfile::tempdir().unwrap();
    let db = kdbx4(dir.path(), &kdbx3(dir.path()));
    let xml = cli(&["export", "-q", "-f", "xml", s(&db)], &unlock()).stdout;
    assert_eq!(Format::detect(&xml), Some(Format::KeepassXml));
    let from_xml = Format::KeepassXml.read("keepassxc.xml", &xml).unwrap();
    assert_common(&from_xml);
    let from_kdbx = read_kdbx(&db);
    assert_eq!(from_xml.items.len(), from_kdbx.items.len());
    for item in &from_kdbx.items {
        let twin = by_title(&from_xml, &item.title);
        assert_eq!(item.content, twin.content, "{}", item.title);
        assert_eq!(
            (
                &item.folder,
                &item.tags,
                &item.password_history,
                item.created_at,
                item.updated_at
            ),
            (
                &twin.folder,
                &twin.tags,
                &twin.password_history,
                twin.created_at,
                twin.updated_at
            ),
            "{}",
            item.title
        );
    }
    assert_eq!(
        from_xml.skipped, from_kdbx.skipped,
        "the recycle bin is skipped"
    );
    assert_eq!(
        from_xml.not_kept, from_kdbx.not_kept,
        "the attachment is listed"
    );
    for bad in [
        &xml[..xml.len() / 2],
        b"<html><body/></html>".as_slice(),
        b"not xml <<",
    ] {
        assert!(matches!(
            Format::KeepassXml.read("keepassxc.xml", bad),
            Err(ImportError::WrongFormat { .. })
        ));
    }
}
