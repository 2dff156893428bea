//! Keyhaven's encrypted export: any vault out and back in gives the same items (fresh ids),
//! and a wrong password, a changed byte or another file is named as such.

use keyhaven_import::{keyhaven_export, Format, ImportError, Unlock};
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{
    Card, CustomField, FieldHistoryEntry, Identity, Item, ItemContent, Login, PasswordHistoryEntry,
    SecureNote,
};
use proptest::prelude::*;
use uuid::Uuid;

const FAST: KdfParams = KdfParams::MINIMUM;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,20}",
        "\\PC{0,12}",
        Just(String::new()),
        Just("line 1\nline 2\r\n\t\"quoted\", =1+1".to_owned()),
    ]
}

fn content() -> impl Strategy<Value = ItemContent> {
    let field = (text(), text(), any::<bool>()).prop_map(|(name, value, hidden)| CustomField {
        name,
        value,
        hidden,
    });
    prop_oneof![
        (
            text(),
            text(),
            prop::collection::vec(text(), 0..3),
            text(),
            prop::option::of(text()),
            prop::collection::vec(field, 0..3)
        )
            .prop_map(
                |(username, password, urls, notes, totp_secret, custom_fields)| {
                    ItemContent::Login(Login {
                        username,
                        password,
                        urls,
                        notes,
                        totp_secret,
                        custom_fields,
                        ..Login::default()
                    })
                }
            ),
        text().prop_map(|notes| ItemContent::SecureNote(SecureNote {
            notes,
            ..SecureNote::default()
        })),
        (
            text(),
            text(),
            prop::option::of(1u8..=12),
            prop::option::of(2000u16..2100)
        )
            .prop_map(|(cardholder_name, number, expiry_month, expiry_year)| {
                ItemContent::Card(Card {
                    cardholder_name,
                    number,
                    expiry_month,
                    expiry_year,
                    ..Card::default()
                })
            }),
        (text(), text(), text()).prop_map(|(first_name, last_name, address)| {
            ItemContent::Identity(Identity {
                first_name,
                last_name,
                address,
                ..Identity::default()
            })
        }),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    (
        text(),
        content(),
        any::<bool>(),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..3),
        0i64..4_000_000_000_000,
        prop::collection::vec((text(), 0i64..4_000_000_000_000), 0..3),
        prop::collection::vec((text(), text()), 0..2),
        any::<bool>(),
    )
        .prop_map(
            |(title, content, favourite, folder, tags, at, history, fields, needs_review)| Item {
                id: Uuid::new_v4(),
                title,
                content,
                favourite,
                folder,
                tags,
                created_at: at,
                updated_at: at + 1,
                password_history: history
                    .into_iter()
                    .map(|(password, replaced_at)| PasswordHistoryEntry {
                        password,
                        replaced_at,
                    })
                    .collect(),
                field_history: fields
                    .into_iter()
                    .map(|(field, value)| FieldHistoryEntry {
                        field,
                        value,
                        replaced_at: at,
                    })
                    .collect(),
                needs_review,
                unknown: Default::default(),
            },
        )
}

fn without_id(item: &Item) -> Item {
    Item {
        id: Uuid::nil(),
        ..item.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_vault_comes_back_the_same(items in prop::collection::vec(item(), 0..12)) {
        let file = keyhaven_export::write(&items, "export password", FAST).unwrap();
        let back = Format::KeyhavenEncrypted
            .open("vault.keyhaven", &file, &Unlock::password("export password"))
            .unwrap();
        prop_assert_eq!(
            back.items.iter().map(without_id).collect::<Vec<_>>(),
            items.iter().map(without_id).collect::<Vec<_>>()
        );
        for (new, old) in back.items.iter().zip(&items) {
            prop_assert_ne!(new.id, old.id);
        }
    }
}

#[test]
fn a_wrong_password_a_changed_byte_and_another_file_are_named() {
    let file = keyhaven_export::write(&[], "right", FAST).unwrap();
    assert_eq!(Format::detect(&file), Some(Format::KeyhavenEncrypted));
    let open = |bytes: &[u8], password: &str| {
        Format::KeyhavenEncrypted.open("backup.keyhaven", bytes, &Unlock::password(password))
    };
    assert_eq!(
        open(&file, "wrong").unwrap_err(),
        ImportError::WrongPassword {
            file: "backup.keyhaven".into()
        }
    );
    assert_eq!(
        Format::KeyhavenEncrypted
            .read("backup.keyhaven", &file)
            .unwrap_err(),
        ImportError::PasswordNeeded {
            file: "backup.keyhaven".into()
        }
    );
    let text = String::from_utf8(file.clone()).unwrap();
    let sealed_at = text.find("\"sealed\": \"").unwrap() + "\"sealed\": \"".len() + 30;
    let mut changed = file.clone();
    changed[sealed_at] = if changed[sealed_at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    assert_eq!(
        open(&changed, "right").unwrap_err(),
        ImportError::Changed {
            file: "backup.keyhaven".into()
        }
    );
    for other in [
        &file[..file.len() / 2],
        b"name,url\n".as_slice(),
        b"\x03\xd9\xa2\x9a",
    ] {
        assert!(matches!(
            open(other, "right"),
            Err(ImportError::WrongFormat { ref file, .. }) if file == "backup.keyhaven"
        ));
    }
}
