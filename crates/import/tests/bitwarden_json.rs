//! Bitwarden's JSON export, built to its documented schema (bitwarden.com/help/condition-bitwarden-import),
//! with the odd cases real exports have: `null` everywhere, numbers as strings, an
//! organization's collections instead of folders, the trash, passkeys, linked fields.

use keyhaven_import::preview::preview;
use keyhaven_import::{Format, ImportError};
use keyhaven_vault::item::{ItemContent, ItemKind};
use serde_json::json;

fn export() -> serde_json::Value {
    json!({
        "encrypted": false,
        "folders": [
            { "id": "f-1", "name": "Work" },
            { "id": "f-2", "name": "Home/Bank" }
        ],
        "items": [
            {
                "passwordHistory": [
                    { "lastUsedDate": "2023-01-02T10:00:00.000Z", "password": "old-1" },
                    { "lastUsedDate": "2024-03-04T10:00:00.000Z", "password": "old-2" }
                ],
                "revisionDate": "2024-06-01T08:00:00.000Z",
                "creationDate": "2022-01-01T08:00:00.000Z",
                "deletedDate": null,
                "id": "0b1e7c4e-0000-4000-8000-000000000001",
                "organizationId": null,
                "folderId": "f-1",
                "type": 1,
                "reprompt": 0,
                "name": "GitHub",
                "notes": "line one\nline \"two\", with, commas",
                "favorite": true,
                "fields": [
                    { "name": "PIN", "value": "0420", "type": 1, "linkedId": null },
                    { "name": "Region", "value": "eu", "type": 0, "linkedId": null },
                    { "name": "Admin", "value": "true", "type": 2, "linkedId": null },
                    { "name": "Login link", "value": null, "type": 3, "linkedId": 100 }
                ],
                "login": {
                    "fido2Credentials": [{ "rpId": "github.com", "credentialId": "x" }],
                    "uris": [
                        { "match": null, "uri": "https://github.com/login" },
                        { "match": 0, "uri": "https://gist.github.com" },
                        { "match": null, "uri": null }
                    ],
                    "username": "ada",
                    "password": "p@ss=\"word\",\n😀",
                    "totp": "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
                },
                "collectionIds": null
            },
            {
                "id": "n-1", "type": 2, "name": "Wifi", "notes": "Wifi\n====\npassword: hunter2",
                "secureNote": { "type": 0 }, "folderId": null, "favorite": false,
                "fields": [{ "name": "SSID", "value": "home", "type": 0 }]
            },
            {
                "id": "c-1", "type": 3, "name": "Visa", "folderId": "f-2",
                "card": { "cardholderName": "Ada L", "brand": "Visa", "number": "4111 1111 1111 1111",
                          "expMonth": "7", "expYear": "2031", "code": "123" }
            },
            {
                "id": "i-1", "type": 4, "name": "Me",
                "identity": { "title": "Dr", "firstName": "Ada", "middleName": "King", "lastName": "Lovelace",
                              "address1": "12 St James's Sq", "address2": "Flat 2", "address3": null,
                              "city": "London", "state": "Greater London", "postalCode": "SW1Y 4JH",
                              "country": "GB", "company": "Analytical", "email": "ada@example.com",
                              "phone": "+44 20 7946 0000", "ssn": "123-45-6789", "username": "ada",
                              "passportNumber": "P123", "licenseNumber": null }
            },
            {
                "id": "s-1", "type": 5, "name": "Server key",
                "sshKey": { "privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
                            "publicKey": "ssh-ed25519 AAAA", "keyFingerprint": "SHA256:xyz" }
            },
            { "id": "d-1", "type": 1, "name": "Old", "deletedDate": "2024-01-01T00:00:00.000Z", "login": {} },
            { "id": "u-1", "type": 9, "name": "From the future" },
            { "id": "e-1", "type": 1, "name": "", "login": null, "attachments": [{ "fileName": "scan.pdf" }] },
            "not an item"
        ]
    })
}

fn read(value: &serde_json::Value) -> Result<keyhaven_import::Imported, ImportError> {
    Format::BitwardenJson.read("bitwarden_export.json", value.to_string().as_bytes())
}

#[test]
fn every_field_bitwarden_has_and_keyhaven_holds_is_imported() {
    let imported = read(&export()).unwrap();
    let titles: Vec<&str> = imported.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        ["GitHub", "Wifi", "Visa", "Me", "Server key", "(untitled)"]
    );

    let github = &imported.items[0];
    assert!(github.favourite);
    assert_eq!(github.folder.as_deref(), Some("Work"));
    assert_eq!(github.created_at, 1_641_024_000_000);
    assert_eq!(github.updated_at, 1_717_228_800_000);
    let history: Vec<&str> = github
        .password_history
        .iter()
        .map(|h| h.password.as_str())
        .collect();
    assert_eq!(history, ["old-2", "old-1"], "most recent first");
    let ItemContent::Login(login) = &github.content else {
        panic!("{:?}", github.content)
    };
    assert_eq!(login.username, "ada");
    assert_eq!(login.password, "p@ss=\"word\",\n😀");
    assert_eq!(
        login.urls,
        ["https://github.com/login", "https://gist.github.com"]
    );
    assert_eq!(login.notes, "line one\nline \"two\", with, commas");
    assert!(login
        .totp_secret
        .as_deref()
        .unwrap()
        .contains("JBSWY3DPEHPK3PXP"));
    let fields: Vec<(&str, &str, bool)> = login
        .custom_fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str(), f.hidden))
        .collect();
    assert_eq!(
        fields,
        [
            ("PIN", "0420", true),
            ("Region", "eu", false),
            ("Admin", "true", false)
        ]
    );

    let ItemContent::SecureNote(note) = &imported.items[1].content else {
        panic!()
    };
    assert_eq!(note.notes, "Wifi\n====\npassword: hunter2\n\nSSID: home");

    let visa = &imported.items[2];
    assert_eq!(visa.folder.as_deref(), Some("Home/Bank"));
    let ItemContent::Card(card) = &visa.content else {
        panic!()
    };
    assert_eq!(
        (card.number.as_str(), card.expiry_month, card.expiry_year),
        ("4111111111111111", Some(7), Some(2031))
    );
    assert_eq!(
        (
            card.cardholder_name.as_str(),
            card.brand.as_str(),
            card.security_code.as_str()
        ),
        ("Ada L", "Visa", "123")
    );

    let ItemContent::Identity(me) = &imported.items[3].content else {
        panic!()
    };
    assert_eq!(
        (me.first_name.as_str(), me.last_name.as_str()),
        ("Ada King", "Lovelace")
    );
    assert_eq!(me.address, "12 St James's Sq\nFlat 2");
    assert_eq!(
        (
            me.city.as_str(),
            me.postal_code.as_str(),
            me.country.as_str()
        ),
        ("London", "SW1Y 4JH", "GB")
    );
    for kept in [
        "Title: Dr",
        "State or province: Greater London",
        "Social security number: 123-45-6789",
        "Passport number: P123",
    ] {
        assert!(me.notes.contains(kept), "{kept} in {:?}", me.notes);
    }

    let ItemContent::SecureNote(key) = &imported.items[4].content else {
        panic!()
    };
    assert!(key.notes.contains("BEGIN OPENSSH PRIVATE KEY") && key.notes.contains("SHA256:xyz"));
}

#[test]
fn what_has_no_place_is_named_and_what_is_skipped_says_why() {
    let imported = read(&export()).unwrap();
    let not_kept: Vec<(&str, &str)> = imported
        .not_kept
        .iter()
        .map(|n| (n.item.as_str(), n.what.as_str()))
        .collect();
    assert_eq!(
        not_kept,
        [
            ("GitHub", "the passkey for github.com"),
            ("GitHub", "the linked field Login link"),
            ("Server key", "an SSH key (kept as a secure note)"),
            ("(untitled)", "the attachment scan.pdf"),
        ]
    );
    let skipped: Vec<(&str, &str)> = imported
        .skipped
        .iter()
        .map(|s| (s.title.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(skipped[0], ("Old", "it is in Bitwarden's trash"));
    assert_eq!(
        skipped[1],
        (
            "From the future",
            "its type 9 is not one Bitwarden documents"
        )
    );
    assert!(skipped[2].0 == "item 9" && skipped[2].1.starts_with("it is not a Bitwarden item"));
}

#[test]
fn an_organizations_export_files_items_under_their_collection() {
    let export = json!({
        "encrypted": false,
        "collections": [{ "id": "col-1", "organizationId": "o", "name": "Shared/Ops", "externalId": null }],
        "items": [{ "id": "x", "type": "1", "name": "Router", "collectionIds": ["col-1"],
                    "login": { "username": "admin", "password": "pw", "uris": [] } }]
    });
    let imported = read(&export).unwrap();
    assert_eq!(imported.items[0].folder.as_deref(), Some("Shared/Ops"));
    assert_eq!(
        imported.items[0].content.kind(),
        ItemKind::Login,
        "a type written as a string"
    );
}

#[test]
fn an_encrypted_export_is_recognized_and_named() {
    for export in [
        json!({ "encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.abc|def|ghi", "folders": [], "items": [] }),
        json!({ "encrypted": true, "passwordProtected": true, "salt": "x", "kdfType": 0, "data": "2.abc|def|ghi" }),
    ] {
        let error = read(&export).unwrap_err();
        assert_eq!(error.code(), "import_encrypted_bitwarden");
        assert!(
            error
                .to_string()
                .contains("bitwarden_export.json is an encrypted Bitwarden export"),
            "{error}"
        );
    }
}

#[test]
fn a_cut_short_malformed_or_other_file_names_the_file_and_what_is_wrong() {
    let full = export().to_string();
    let cases: [(&[u8], &str); 5] = [
        (&full.as_bytes()[..full.len() / 2], "cut short"),
        (
            b"{\"items\": [1, 2,, 3]}",
            "not valid JSON (expected value at line 1 column 17)",
        ),
        (
            b"name,url,username,password\nGitHub,https://github.com,ada,pw\n",
            "begins with \"name,url,username,password\\nGit\"",
        ),
        (b"{\"folders\": []}", "has no \"items\" list"),
        (b"\xff\xfe\x00{", "not UTF-8"),
    ];
    for (bytes, says) in cases {
        let error = Format::BitwardenJson
            .read("export.json", bytes)
            .unwrap_err();
        assert_eq!(error.code(), "import_wrong_format", "{error}");
        let message = error.to_string();
        assert!(
            message.starts_with("export.json is not a Bitwarden JSON file"),
            "{message}"
        );
        assert!(message.contains(says), "{message}");
    }
}

#[test]
fn a_byte_order_mark_is_allowed_and_a_huge_file_is_refused_before_reading() {
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(export().to_string().as_bytes());
    assert_eq!(
        Format::BitwardenJson
            .read("e.json", &with_bom)
            .unwrap()
            .items
            .len(),
        6
    );
    let huge = vec![b' '; keyhaven_import::MAX_FILE_BYTES + 1];
    let error = Format::BitwardenJson.read("huge.json", &huge).unwrap_err();
    assert_eq!(error.code(), "import_file_too_large");
    assert!(
        error
            .to_string()
            .contains("huge.json is larger than 64 MiB"),
        "{error}"
    );
}

#[test]
fn the_preview_counts_by_kind_and_folder_and_finds_likely_duplicates() {
    let imported = read(&export()).unwrap();
    let mut existing = imported.items[0].clone();
    existing.id = uuid::Uuid::new_v4();
    existing.title = " github ".into();
    if let ItemContent::Login(login) = &mut existing.content {
        login.urls = vec!["https://GitHub.com/login/".into()];
        login.password = "a different password".into();
    }
    let summary = preview(&imported, &[existing]);
    assert_eq!(summary.by_kind["login"], 2);
    assert_eq!(summary.by_kind["secure_note"], 2);
    assert_eq!(
        (summary.by_kind["card"], summary.by_kind["identity"]),
        (1, 1)
    );
    assert_eq!(summary.by_folder["Work"], 1);
    assert_eq!(summary.by_folder[""], 4);
    assert_eq!(summary.duplicates.len(), 1);
    assert_eq!(
        (
            summary.duplicates[0].index,
            summary.duplicates[0].title.as_str()
        ),
        (0, "GitHub")
    );
    assert_eq!(summary.skipped.len(), 3);
}

mod no_panic {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = keyhaven_import::Format::BitwardenJson.read("x.json", &bytes);
        }

        #[test]
        fn on_any_json_shaped_like_an_export(items in proptest::collection::vec(any_json(), 0..8)) {
            let export = serde_json::json!({ "encrypted": false, "items": items });
            let _ = keyhaven_import::Format::BitwardenJson.read("x.json", export.to_string().as_bytes());
        }
    }

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("type".to_string()),
                        Just("login".to_string()),
                        Just("name".to_string()),
                        Just("fields".to_string()),
                        Just("card".to_string()),
                        Just("uris".to_string()),
                        ".{0,6}".prop_map(String::from)
                    ],
                    inner,
                    0..5,
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
