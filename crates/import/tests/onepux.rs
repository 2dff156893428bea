//! 1Password `.1pux` exports, built to the documented schema (and its older spelling) and
//! zipped as 1Password zips them.

#![recursion_limit = "512"]

use std::io::Write;

use keyhaven_import::{Format, ImportError, Imported};
use keyhaven_vault::item::{Item, ItemContent};
use serde_json::{json, Value};

fn pux(data: &Value) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("export.attributes", options).unwrap();
    zip.write_all(
        br#"{"version":3,"description":"1Password Unencrypted Export","createdAt":1700000000}"#,
    )
    .unwrap();
    zip.start_file("export.data", options).unwrap();
    zip.write_all(data.to_string().as_bytes()).unwrap();
    zip.start_file("files/abc__scan.pdf", options).unwrap();
    zip.write_all(b"%PDF").unwrap();
    zip.finish().unwrap().into_inner()
}

fn export() -> Value {
    json!({ "accounts": [{
        "attrs": { "accountName": "Ada", "name": "Ada", "email": "ada@example.com", "uuid": "A1", "domain": "https://my.1password.com/" },
        "vaults": [
            { "attrs": { "uuid": "V1", "name": "Personal", "desc": "", "avatar": "", "type": "P" },
              "items": [
                { "uuid": "L1", "favIndex": 1, "createdAt": 1_600_000_000, "updatedAt": 1_650_000_000,
                  "state": "active", "categoryUuid": "001",
                  "details": {
                    "loginFields": [
                        { "value": "ada@example.com", "id": "", "name": "email", "fieldType": "E", "designation": "username" },
                        { "value": "p@ss, \"word\"\n2", "id": "", "name": "password", "fieldType": "P", "designation": "password" },
                        { "value": "✓", "id": "remember", "name": "remember", "fieldType": "C" }
                    ],
                    "notesPlain": "two\nlines",
                    "sections": [
                        { "title": "", "name": "", "fields": [
                            { "title": "one-time password", "id": "TOTP_1", "value": { "totp": "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP" }, "indexAtSource": 0, "guarded": false, "multiline": false, "dontGenerate": false }
                        ]},
                        { "title": "Recovery", "name": "Section_1", "fields": [
                            { "title": "recovery code", "id": "rc", "value": { "concealed": "rc-123" } },
                            { "title": "region", "id": "region", "value": { "string": "eu" } },
                            { "title": "backup site", "id": "u2", "value": { "url": "https://backup.example" } },
                            { "title": "scan", "id": "f1", "value": { "file": { "fileName": "scan.pdf", "documentId": "abc", "decryptedSize": 4 } } }
                        ]}
                    ],
                    "passwordHistory": [ { "value": "older", "time": 1_610_000_000 }, { "value": "old", "time": 1_620_000_000 } ],
                    "passkey": { "credentialId": "c", "rpId": "github.com", "userHandle": "u" }
                  },
                  "overview": { "subtitle": "ada@example.com", "title": "GitHub",
                    "url": "https://github.com/login",
                    "urls": [ { "label": "", "url": "https://github.com/login" }, { "label": "gist", "url": "https://gist.github.com" } ],
                    "tags": ["dev", "work"], "ps": 80, "pbe": 90.0, "pgrng": true }
                },
                { "uuid": "C1", "favIndex": 0, "createdAt": 1_600_000_000, "updatedAt": 1_600_000_001,
                  "state": "active", "categoryUuid": "002",
                  "details": { "loginFields": [], "notesPlain": "", "sections": [ { "title": "", "name": "", "fields": [
                      { "title": "cardholder name", "id": "cardholder", "value": { "string": "Ada Lovelace" } },
                      { "title": "type", "id": "type", "value": { "creditCardType": "visa" } },
                      { "title": "number", "id": "ccnum", "value": { "creditCardNumber": "4111111111111111" } },
                      { "title": "verification number", "id": "cvv", "value": { "concealed": "123" } },
                      { "title": "expiry date", "id": "expiry", "value": { "monthYear": 202_712 } },
                      { "title": "PIN", "id": "pin", "value": { "concealed": "0420" } }
                  ]}], "passwordHistory": [] },
                  "overview": { "title": "Visa", "tags": [] } },
                { "uuid": "I1", "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000,
                  "state": "active", "categoryUuid": "004",
                  "details": { "sections": [ { "title": "Identification", "name": "name", "fields": [
                      { "title": "first name", "id": "firstname", "value": { "string": "Ada" } },
                      { "title": "last name", "id": "lastname", "value": { "string": "Lovelace" } },
                      { "title": "birth date", "id": "birthdate", "value": { "date": 1_000_000_000 } }
                  ]}, { "title": "Address", "name": "address", "fields": [
                      { "title": "address", "id": "address", "value": { "address": { "street": "12 Main St", "city": "London", "country": "uk", "zip": "N1", "state": "" } } },
                      { "title": "email", "id": "email", "value": { "email": { "email_address": "ada@example.com", "provider": null } } },
                      { "title": "default phone", "id": "defphone", "value": { "phone": "+44 1" } }
                  ]}]},
                  "overview": { "title": "Me" } },
                { "uuid": "N1", "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000, "state": "active", "categoryUuid": "003",
                  "details": { "notesPlain": "Wifi\n====\npassword: hunter2", "sections": [] }, "overview": { "title": "Wifi" } },
                { "uuid": "P1", "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000, "state": "active", "categoryUuid": "005",
                  "details": { "password": "just-a-password", "sections": [] }, "overview": { "title": "Router" } },
                { "uuid": "D1", "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000, "state": "active", "categoryUuid": "006",
                  "details": { "documentAttributes": { "fileName": "passport.jpg", "documentId": "d", "decryptedSize": 9 }, "notesPlain": "" },
                  "overview": { "title": "Passport scan" } },
                { "uuid": "S1", "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000, "state": "active", "categoryUuid": "110",
                  "details": { "sections": [ { "title": "", "name": "", "fields": [
                      { "title": "URL", "id": "url", "value": { "string": "ssh.example.com" } },
                      { "title": "username", "id": "username", "value": { "string": "root" } },
                      { "title": "password", "id": "password", "value": { "concealed": "srv-pw" } }
                  ]}]}, "overview": { "title": "Server" } },
                { "uuid": "X1", "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000, "state": "archived", "categoryUuid": "001",
                  "details": {}, "overview": { "title": "Archived one" } }
              ] },
            { "attrs": { "uuid": "V2", "name": "Shared", "type": "U" },
              "items": [
                { "item": { "uuid": "L2", "favIndex": 0, "createdAt": 1_600_000_000, "updatedAt": 1_600_000_000, "trashed": false,
                  "categoryUuid": "001",
                  "details": { "loginFields": [ { "value": "bob", "designation": "username" }, { "value": "pw", "designation": "password" } ] },
                  "overview": { "title": "Old spelling", "url": "https://old.example" } } },
                { "item": { "uuid": "L3", "trashed": true, "categoryUuid": "001", "overview": { "title": "Trashed one" } } }
              ] }
        ]
    }]})
}

fn read() -> Imported {
    Format::OnePassword1pux
        .read("1PasswordExport.1pux", &pux(&export()))
        .unwrap()
}

fn by_title<'a>(imported: &'a Imported, title: &str) -> &'a Item {
    imported
        .items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("no {title}"))
}

#[test]
fn a_login_keeps_every_field_its_history_and_lists_what_has_no_place() {
    let imported = read();
    assert_eq!(
        Format::detect(&pux(&export())),
        Some(Format::OnePassword1pux)
    );
    let github = by_title(&imported, "GitHub");
    assert!(github.favourite);
    assert_eq!(github.folder.as_deref(), Some("Personal"));
    assert_eq!(github.tags, ["dev", "work"]);
    assert_eq!(
        (github.created_at, github.updated_at),
        (1_600_000_000_000, 1_650_000_000_000)
    );
    assert_eq!(
        github
            .password_history
            .iter()
            .map(|h| (h.password.as_str(), h.replaced_at))
            .collect::<Vec<_>>(),
        [("old", 1_620_000_000_000), ("older", 1_610_000_000_000)]
    );
    let ItemContent::Login(login) = &github.content else {
        panic!("{:?}", github.content)
    };
    assert_eq!(login.username, "ada@example.com");
    assert_eq!(login.password, "p@ss, \"word\"\n2");
    assert_eq!(
        login.urls,
        [
            "https://github.com/login",
            "https://gist.github.com",
            "https://backup.example"
        ]
    );
    assert_eq!(login.notes, "two\nlines");
    assert_eq!(
        login.totp_secret.as_deref(),
        Some("otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP")
    );
    let fields: Vec<(&str, &str, bool)> = login
        .custom_fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str(), f.hidden))
        .collect();
    assert_eq!(
        fields,
        [
            ("remember", "✓", false),
            ("recovery code", "rc-123", true),
            ("region", "eu", false)
        ]
    );
    let not_kept: Vec<(&str, &str)> = imported
        .not_kept
        .iter()
        .map(|n| (n.item.as_str(), n.what.as_str()))
        .collect();
    assert!(
        not_kept.contains(&("GitHub", "the attachment scan.pdf")),
        "{not_kept:?}"
    );
    assert!(
        not_kept.contains(&("GitHub", "the passkey for github.com")),
        "{not_kept:?}"
    );
    assert!(
        not_kept.contains(&("Passport scan", "the document passport.jpg")),
        "{not_kept:?}"
    );
}

#[test]
fn cards_identities_notes_and_other_categories_become_their_own_kinds() {
    let imported = read();
    let ItemContent::Card(card) = &by_title(&imported, "Visa").content else {
        panic!()
    };
    assert_eq!(
        (
            card.cardholder_name.as_str(),
            card.number.as_str(),
            card.security_code.as_str(),
            card.brand.as_str()
        ),
        ("Ada Lovelace", "4111111111111111", "123", "visa")
    );
    assert_eq!(
        (card.expiry_month, card.expiry_year),
        (Some(12), Some(2027))
    );
    assert_eq!(card.notes, "PIN: 0420");
    let ItemContent::Identity(me) = &by_title(&imported, "Me").content else {
        panic!()
    };
    assert_eq!(
        (me.first_name.as_str(), me.last_name.as_str()),
        ("Ada", "Lovelace")
    );
    assert_eq!(me.address, "12 Main St, London, N1, uk");
    assert_eq!(
        (me.email.as_str(), me.phone.as_str()),
        ("ada@example.com", "+44 1")
    );
    assert_eq!(me.notes, "birth date: 2001-09-09");
    let ItemContent::SecureNote(wifi) = &by_title(&imported, "Wifi").content else {
        panic!()
    };
    assert_eq!(wifi.notes, "Wifi\n====\npassword: hunter2");
    let ItemContent::Login(router) = &by_title(&imported, "Router").content else {
        panic!()
    };
    assert_eq!(router.password, "just-a-password");
    let ItemContent::Login(server) = &by_title(&imported, "Server").content else {
        panic!()
    };
    assert_eq!(
        (server.username.as_str(), server.password.as_str()),
        ("root", "srv-pw")
    );
    assert!(matches!(
        by_title(&imported, "Passport scan").content,
        ItemContent::SecureNote(_)
    ));
}

#[test]
fn the_older_spelling_and_archived_or_trashed_items_are_read() {
    let imported = read();
    let old = by_title(&imported, "Old spelling");
    assert_eq!(old.folder.as_deref(), Some("Shared"));
    let ItemContent::Login(login) = &old.content else {
        panic!()
    };
    assert_eq!(
        (login.username.as_str(), login.urls[0].as_str()),
        ("bob", "https://old.example")
    );
    let skipped: Vec<&str> = imported.skipped.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(skipped, ["Archived one", "Trashed one"]);
    assert_eq!(imported.items.len(), 8);
}

#[test]
fn a_damaged_or_other_file_names_the_file_and_what_is_wrong() {
    let good = pux(&export());
    let wrong = |bytes: &[u8]| {
        Format::OnePassword1pux
            .read("export.1pux", bytes)
            .unwrap_err()
    };
    for bytes in [
        &good[..good.len() / 2],
        b"{\"accounts\":[]}".as_slice(),
        b"PK\x03\x04junk",
    ] {
        assert!(
            matches!(wrong(bytes), ImportError::WrongFormat { ref file, .. } if file == "export.1pux"),
            "{:?}",
            wrong(bytes)
        );
    }
    let not_json = pux(&json!("x"));
    let ImportError::WrongFormat { detail, .. } = wrong(&not_json) else {
        panic!()
    };
    assert!(detail.contains("lists no accounts"), "{detail}");
}
