//! A masked item (what the item view receives) holds no secret and can never be saved back.

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{CustomField, Item, ItemContent, ItemDraft, Login};
use keyhaven_vault::masked::{MaskedItem, MASK};
use keyhaven_vault::{Vault, VaultError};

fn login(password: &str) -> ItemDraft {
    ItemDraft {
        title: "GitHub".into(),
        content: ItemContent::Login(Login {
            username: "ada".into(),
            password: password.into(),
            totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
            custom_fields: vec![
                CustomField {
                    name: "PIN".into(),
                    value: "4321".into(),
                    hidden: true,
                },
                CustomField {
                    name: "Team".into(),
                    value: "core".into(),
                    hidden: false,
                },
            ],
            ..Login::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

#[test]
fn a_masked_item_shows_no_secret_and_saving_it_back_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        &dir.path().join("vault.sqlite"),
        b"correct horse battery staple",
        KdfParams::MINIMUM,
    )
    .unwrap();
    let item = vault.add(login("hunter2-secret")).unwrap();
    let item = vault.update(item.id, login("a-newer-secret")).unwrap();

    let masked = MaskedItem::new(item.clone());
    let json = serde_json::to_string(&masked).unwrap();
    for secret in [
        "hunter2-secret",
        "a-newer-secret",
        "JBSWY3DPEHPK3PXP",
        "4321",
    ] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(json.contains(MASK) && json.contains("core"), "{json}");

    // The web view sends the masked item back as the edit's base: refused, nothing changes.
    let base: Item = serde_json::from_str(&json).unwrap();
    let refused = vault
        .update_from(item.id, login("edited"), &base)
        .unwrap_err();
    assert!(matches!(refused, VaultError::InvalidItem(_)), "{refused:?}");
    let ItemContent::Login(stored) = vault.get(item.id).unwrap().content else {
        panic!("a login");
    };
    assert_eq!(stored.password, "a-newer-secret");
}
