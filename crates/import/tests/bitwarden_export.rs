//! Keyhaven items out as Bitwarden JSON and CSV, and back in: the same items and fields.

use keyhaven_import::bitwarden_export::{csv_export, escape_formula, json_export};
use keyhaven_import::Format;
use keyhaven_vault::item::{
    Card, CustomField, Identity, Item, ItemContent, ItemDraft, Login, PasswordHistoryEntry,
    SecureNote,
};
use uuid::Uuid;

fn item(title: &str, content: ItemContent, folder: Option<&str>) -> Item {
    let mut item = Item::new(
        ItemDraft {
            title: title.into(),
            content,
            favourite: folder.is_some(),
            folder: folder.map(Into::into),
            tags: vec![],
        },
        Uuid::new_v4(),
        1_700_000_000_123,
    );
    item.updated_at = 1_710_000_000_456;
    item
}

fn vault() -> Vec<Item> {
    let mut github = item(
        "GitHub",
        ItemContent::Login(Login {
            username: "ada".into(),
            password: "p,a\"ss\n😀".into(),
            urls: vec![
                "https://github.com/login".into(),
                "https://gist.github.com".into(),
            ],
            notes: "two\nlines, \"quoted\"".into(),
            totp_secret: Some("otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP".into()),
            custom_fields: vec![
                CustomField {
                    name: "PIN".into(),
                    value: "0420".into(),
                    hidden: true,
                },
                CustomField {
                    name: "Region".into(),
                    value: "eu".into(),
                    hidden: false,
                },
            ],
            ..Login::default()
        }),
        Some("Work/Git"),
    );
    github.password_history = vec![
        PasswordHistoryEntry {
            password: "old-2".into(),
            replaced_at: 1_705_000_000_000,
        },
        PasswordHistoryEntry {
            password: "old-1".into(),
            replaced_at: 1_701_000_000_000,
        },
    ];
    vec![
        github,
        item(
            "Wifi",
            ItemContent::SecureNote(SecureNote {
                notes: "Wifi\n====\npassword: hunter2".into(),
                ..Default::default()
            }),
            None,
        ),
        item(
            "Visa",
            ItemContent::Card(Card {
                cardholder_name: "Ada L".into(),
                number: "4111111111111111".into(),
                expiry_month: Some(7),
                expiry_year: Some(2031),
                security_code: "123".into(),
                brand: "Visa".into(),
                notes: "backup card".into(),
                ..Default::default()
            }),
            Some("Home"),
        ),
        item(
            "Me",
            ItemContent::Identity(Identity {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                email: "ada@example.com".into(),
                phone: "+44 20 7946 0000".into(),
                company: "Analytical".into(),
                address: "12 St James's Sq\nFlat 2".into(),
                city: "London".into(),
                postal_code: "SW1Y 4JH".into(),
                country: "GB".into(),
                notes: String::new(),
                ..Default::default()
            }),
            None,
        ),
    ]
}

/// An item as the round trip must keep it: everything but its id.
fn kept(
    item: &Item,
) -> (
    String,
    ItemContent,
    bool,
    Option<String>,
    i64,
    i64,
    Vec<PasswordHistoryEntry>,
) {
    (
        item.title.clone(),
        item.content.clone(),
        item.favourite,
        item.folder.clone(),
        item.created_at,
        item.updated_at,
        item.password_history.clone(),
    )
}

#[test]
fn bitwarden_json_out_and_back_in_keeps_every_item_and_field() {
    let items = vault();
    let file = json_export(&items);
    let back = Format::BitwardenJson
        .read("keyhaven.json", file.as_bytes())
        .unwrap();
    assert!(
        back.skipped.is_empty() && back.not_kept.is_empty(),
        "{:?} {:?}",
        back.skipped,
        back.not_kept
    );
    let before: Vec<_> = items.iter().map(kept).collect();
    let after: Vec<_> = back.items.iter().map(kept).collect();
    assert_eq!(after, before);
}

#[test]
fn bitwarden_csv_out_and_back_in_keeps_logins_and_notes_and_writes_cards_as_notes() {
    let items = vault();
    let file = csv_export(&items);
    let back = Format::BitwardenCsv
        .read("keyhaven.csv", file.as_bytes())
        .unwrap();
    assert_eq!(back.items.len(), 4);
    let (github, original) = (&back.items[0], &items[0]);
    assert_eq!(
        (&github.title, github.favourite, &github.folder),
        (&original.title, true, &original.folder)
    );
    let (ItemContent::Login(got), ItemContent::Login(want)) = (&github.content, &original.content)
    else {
        panic!()
    };
    assert_eq!(
        (
            &got.username,
            &got.password,
            &got.urls,
            &got.notes,
            &got.totp_secret
        ),
        (
            &want.username,
            &want.password,
            &want.urls,
            &want.notes,
            &want.totp_secret
        )
    );
    let names: Vec<(&str, &str)> = got
        .custom_fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(names, [("PIN", "0420"), ("Region", "eu")]);
    assert_eq!(back.items[1].content, items[1].content);
    let ItemContent::SecureNote(visa) = &back.items[2].content else {
        panic!()
    };
    for line in [
        "Number: 4111111111111111",
        "Expires: 7/2031",
        "Security code: 123",
        "backup card",
    ] {
        assert!(visa.notes.contains(line), "{line} in {:?}", visa.notes);
    }
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_escaped() {
    for cell in [
        "=HYPERLINK(\"http://evil\")",
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
    ] {
        assert_eq!(escape_formula(cell), format!("'{cell}"));
    }
    assert_eq!(escape_formula("plain = fine"), "plain = fine");
    let mut evil = vault();
    evil[0].title = "=cmd|' /C calc'!A0".into();
    let file = csv_export(&evil[..1]);
    assert!(file.contains("'=cmd|"), "{file}");
    assert!(!file.lines().nth(1).unwrap().contains(",=cmd"), "{file}");
}

#[test]
fn an_item_of_a_kind_from_a_newer_keyhaven_goes_out_as_a_note_with_all_its_fields() {
    let other = keyhaven_vault::item::OtherContent {
        kind: "wifi".into(),
        fields: [
            ("ssid".to_string(), serde_json::json!("home")),
            ("psk".to_string(), serde_json::json!("hunter2")),
        ]
        .into_iter()
        .collect(),
    };
    let items = vec![item("Router", ItemContent::Other(other), None)];
    for (format, file) in [
        (Format::BitwardenJson, json_export(&items)),
        (Format::BitwardenCsv, csv_export(&items)),
    ] {
        let back = format.read("out", file.as_bytes()).unwrap();
        let ItemContent::SecureNote(note) = &back.items[0].content else {
            panic!("{:?}", back.items[0].content)
        };
        for kept in ["kind wifi", "\"ssid\": \"home\"", "\"psk\": \"hunter2\""] {
            assert!(note.notes.contains(kept), "{kept} in {:?}", note.notes);
        }
    }
}
