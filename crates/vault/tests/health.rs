//! The password-health report and one-time codes, through the vault: facts worked out at save
//! and kept sealed, reuse told by a keyed fingerprint, leaks read from the last check, and
//! secrets that cannot make codes refused at save but tolerated from an import.

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::health::OLD_AFTER_MS;
use keyhaven_vault::item::{Item, ItemContent, ItemDraft, Login, PasswordHistoryEntry};
use keyhaven_vault::Vault;
use sha1::{Digest, Sha1};
use uuid::Uuid;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn login(title: &str, password: &str, url: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::Login(Login {
            username: "ada@example.com".into(),
            password: password.into(),
            urls: vec![url.into()],
            ..Login::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

fn new_vault(dir: &tempfile::TempDir) -> Vault {
    let mut vault = Vault::create(
        &dir.path().join("vault.sqlite"),
        b"correct horse battery staple",
        KdfParams::MINIMUM,
    )
    .unwrap();
    vault.unlock(b"correct horse battery staple").unwrap();
    vault
}

fn titles(items: &[keyhaven_vault::health::HealthItem]) -> Vec<&str> {
    items.iter().map(|i| i.title.as_str()).collect()
}

const STRONG: &str = "vq8#Lm2!xT9@pR4$wZ7k";
const STRONG_2: &str = "Gh5^nB1&yU6*eJ3(oK0m";

#[test]
fn the_report_finds_weak_reused_old_and_insecure_logins() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    vault
        .add(login("Mail", "password1", "https://mail.example"))
        .unwrap();
    vault
        .add(login("Bank", STRONG, "https://bank.example"))
        .unwrap();
    vault
        .add(login("Shop", STRONG, "http://shop.example"))
        .unwrap();
    vault
        .add(login("Forum", STRONG, "https://forum.example"))
        .unwrap();
    vault
        .add(login("Router", STRONG_2, "HTTP://192.168.1.1"))
        .unwrap();
    vault
        .add(ItemDraft {
            title: "Wifi".into(),
            content: ItemContent::SecureNote(Default::default()),
            favourite: false,
            folder: None,
            tags: vec![],
        })
        .unwrap();

    let now = keyhaven_vault_now();
    let report = vault.health_report_at(now).unwrap();
    assert_eq!(report.weak.len(), 1);
    assert_eq!(report.weak[0].item.title, "Mail");
    assert!(report.weak[0].score < 3);
    assert_eq!(report.reused.len(), 1);
    assert_eq!(titles(&report.reused[0].items), ["Bank", "Forum", "Shop"]);
    let insecure: Vec<_> = report
        .insecure
        .iter()
        .map(|i| (i.item.title.as_str(), i.url.as_str()))
        .collect();
    assert_eq!(
        insecure,
        [
            ("Router", "HTTP://192.168.1.1"),
            ("Shop", "http://shop.example")
        ]
    );
    assert!(report.old.is_empty());
    assert_eq!(
        (
            report.counts.weak,
            report.counts.reused,
            report.counts.old,
            report.counts.insecure,
            report.counts.leaked
        ),
        (1, 3, 0, 2, 0)
    );
    assert_eq!(report.leaks_checked_at, None);
    assert_eq!(report.leaks_unchecked, 5);

    // A year and a day later, every password is old.
    let later = vault.health_report_at(now + OLD_AFTER_MS + DAY_MS).unwrap();
    assert_eq!(later.old.len(), 5);
}

fn keyhaven_vault_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn an_old_password_is_told_by_its_history_and_a_change_makes_it_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let now = keyhaven_vault_now();
    let two_years_ago = now - 2 * OLD_AFTER_MS;
    let mut item = Item::new(
        login("Old", STRONG, "https://old.example"),
        Uuid::new_v4(),
        two_years_ago - DAY_MS,
    );
    item.password_history.push(PasswordHistoryEntry {
        password: "before".into(),
        replaced_at: two_years_ago,
    });
    item.updated_at = now;
    vault.import(&item).unwrap();
    let report = vault.health_report_at(now).unwrap();
    assert_eq!(
        report.old.len(),
        1,
        "the title changed today, the password two years ago"
    );
    assert_eq!(report.old[0].changed_at, two_years_ago);

    vault
        .update(item.id, login("Old", STRONG_2, "https://old.example"))
        .unwrap();
    assert!(vault.health_report_at(now + 1000).unwrap().old.is_empty());
}

#[test]
fn facts_are_worked_out_at_save_and_once_for_what_arrived_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let added = vault
        .add(login("Saved", "password1", "https://a.example"))
        .unwrap();
    assert!(
        vault.health_work().unwrap().is_empty(),
        "a save stores its facts"
    );

    let imported: Vec<Item> = (0..20)
        .map(|n| {
            Item::new(
                login(&format!("Imported {n}"), "password1", "https://b.example"),
                Uuid::new_v4(),
                1,
            )
        })
        .collect();
    vault.import_all(&imported).unwrap();
    assert_eq!(
        vault.health_work().unwrap().len(),
        20,
        "a bulk import leaves them for later"
    );
    let report = vault.health_report().unwrap();
    assert_eq!(report.counts.weak, 21);
    assert_eq!(report.reused[0].items.len(), 21);
    assert!(vault.health_work().unwrap().is_empty(), "and they are kept");

    // An edit replaces the item's facts; a delete drops them.
    vault
        .update(added.id, login("Saved", STRONG, "https://a.example"))
        .unwrap();
    assert!(vault.health_work().unwrap().is_empty());
    vault.delete(imported[0].id).unwrap();
    let report = vault.health_report().unwrap();
    assert_eq!((report.counts.weak, report.counts.reused), (19, 19));

    // The facts survive a lock and unlock: nothing is worked out again.
    vault.lock();
    vault.unlock(b"correct horse battery staple").unwrap();
    assert!(vault.health_work().unwrap().is_empty());
}

#[test]
fn the_file_holds_neither_the_password_nor_a_plain_hash_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let password = "canary-Password-8731";
    vault
        .add(login("Canary", password, "https://c.example"))
        .unwrap();
    vault
        .add(login("Canary 2", password, "https://c.example"))
        .unwrap();
    let report = vault.health_report().unwrap();
    assert_eq!(report.reused.len(), 1);
    let path = vault.path().to_path_buf();
    drop(vault);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("sqlite-wal")) {
        bytes.extend(wal);
    }
    let sha1 = Sha1::digest(password.as_bytes());
    let sha256 = <sha2::Sha256 as sha2::Digest>::digest(password.as_bytes());
    for needle in [
        password.as_bytes(),
        &sha1[..8],
        &sha256[..8],
        hex::encode(sha1).as_bytes(),
    ] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn leaked_passwords_come_from_the_last_check_and_new_passwords_are_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    vault
        .add(login("A", "password", "https://a.example"))
        .unwrap();
    vault
        .add(login("B", "password", "https://b.example"))
        .unwrap();
    let c = vault.add(login("C", STRONG, "https://c.example")).unwrap();
    let queries = vault.leak_queries().unwrap();
    assert_eq!(queries.len(), 2, "one query per distinct password");
    let leaked = queries
        .iter()
        .find(|q| q.prefix == "5BAA6")
        .expect("SHA-1 of 'password'");
    let results: Vec<_> = queries
        .iter()
        .map(|q| {
            (
                q.fingerprint,
                if q.prefix == leaked.prefix {
                    9_545_824
                } else {
                    0
                },
            )
        })
        .collect();
    vault.record_leak_check(&results, 1234).unwrap();
    let report = vault.health_report().unwrap();
    assert_eq!(report.leaks_checked_at, Some(1234));
    assert_eq!(report.leaks_unchecked, 0);
    let leaked: Vec<_> = report
        .leaked
        .iter()
        .map(|l| (l.item.title.as_str(), l.seen))
        .collect();
    assert_eq!(leaked, [("A", 9_545_824), ("B", 9_545_824)]);

    vault
        .update(c.id, login("C", STRONG_2, "https://c.example"))
        .unwrap();
    assert_eq!(vault.health_report().unwrap().leaks_unchecked, 1);
}

#[test]
fn a_secret_that_cannot_make_codes_is_refused_at_save_and_tolerated_from_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let mut draft = login("2FA", STRONG, "https://a.example");
    if let ItemContent::Login(l) = &mut draft.content {
        l.totp_secret = Some("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=0".into());
    }
    let error = vault.add(draft.clone()).unwrap_err();
    assert_eq!(error.code(), "invalid_totp_secret");
    assert!(error.to_string().contains("6 to 8 digits"), "{error}");

    let imported = Item::new(draft, Uuid::new_v4(), 1);
    assert!(vault.import(&imported).unwrap());
    assert!(vault.get(imported.id).is_ok());
    let code = vault.totp_code(imported.id);
    assert_eq!(code.unwrap_err().code(), "invalid_totp_secret");
}

/// A QR code rendered as a PNG (as a website shows it, with a quiet zone) reads back as its
/// secret; an image without one, or with a QR code of something else, says so.
#[test]
fn a_qr_code_image_gives_the_secret_it_holds() {
    use keyhaven_vault::totp::secret_from_qr_image;
    let png = |text: &str| {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let picture = code
            .render::<image::Luma<u8>>()
            .min_dimensions(300, 300)
            .build();
        let mut bytes = Vec::new();
        picture
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        bytes
    };
    let uri = "otpauth://totp/ACME:ada@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME";
    assert_eq!(secret_from_qr_image(&png(uri)).unwrap().as_str(), uri);

    let not_a_secret = secret_from_qr_image(&png("https://example.com")).unwrap_err();
    assert_eq!(not_a_secret.code(), "qr_code_not_a_secret");
    let blank = image::GrayImage::from_pixel(200, 200, image::Luma([255]));
    let mut bytes = Vec::new();
    blank
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    assert_eq!(
        secret_from_qr_image(&bytes).unwrap_err().code(),
        "qr_code_not_found"
    );
    assert_eq!(
        secret_from_qr_image(b"not an image").unwrap_err().code(),
        "qr_image_unreadable"
    );
}
