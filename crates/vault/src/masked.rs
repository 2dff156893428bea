//! An item as a view shows it before the person asks for a secret: every secret replaced by
//! [`MASK`]. A [`MaskedItem`] is its own type: it serializes, but never deserializes, and it
//! carries a marker that [`crate::Vault::update_from`] refuses, so a masked item is never saved.

use serde::Serialize;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::item::{Item, ItemContent};

/// Stands in for a secret: the view knows the field is set, not its value.
pub const MASK: &str = "••••••••••";

/// The key every serialized [`MaskedItem`] has and no stored item has.
pub const MASKED_MARKER: &str = "hidden_history";

/// An item with its secrets masked (and fields a newer Keyhaven wrote left out).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MaskedItem {
    #[serde(flatten)]
    item: Item,
    /// Positions in `field_history` whose values are secrets, masked; the view offers Show.
    hidden_history: Vec<u32>,
}

/// Fields whose replaced values are not secrets (the view shows them as they are).
const PLAIN_FIELDS: &[&str] = &[
    "title",
    "favourite",
    "folder",
    "tags",
    "content.username",
    "content.urls",
    "content.cardholder_name",
    "content.brand",
    "content.expiry_month",
    "content.expiry_year",
    "content.first_name",
    "content.last_name",
    "content.email",
    "content.phone",
    "content.company",
    "content.address",
    "content.city",
    "content.postal_code",
    "content.country",
];

/// Whether a replaced value of `field` is a secret in an item of this content.
fn is_secret_field(content: &ItemContent, field: &str) -> bool {
    match field {
        "content.notes" => matches!(content, ItemContent::SecureNote(_)),
        field => !PLAIN_FIELDS.contains(&field),
    }
}

fn mask(value: &mut String) {
    if !value.is_empty() {
        value.zeroize();
        value.push_str(MASK);
    }
}

impl MaskedItem {
    /// Masks `item`'s password, one-time code secret, hidden custom fields, note text, card
    /// number and security code, its password history and the secret values in its field history.
    pub fn new(mut item: Item) -> Self {
        match &mut item.content {
            ItemContent::Login(login) => {
                mask(&mut login.password);
                if let Some(secret) = login.totp_secret.as_mut() {
                    mask(secret);
                }
                for field in login.custom_fields.iter_mut().filter(|f| f.hidden) {
                    mask(&mut field.value);
                }
                login.unknown.clear();
            }
            ItemContent::SecureNote(note) => {
                mask(&mut note.notes);
                note.unknown.clear();
            }
            ItemContent::Card(card) => {
                mask(&mut card.number);
                mask(&mut card.security_code);
                card.unknown.clear();
            }
            ItemContent::Identity(identity) => identity.unknown.clear(),
            ItemContent::Other(other) => other.fields.clear(),
        }
        for entry in &mut item.password_history {
            mask(&mut entry.password);
        }
        let mut hidden_history = Vec::new();
        for (index, entry) in item.field_history.iter_mut().enumerate() {
            if is_secret_field(&item.content, &entry.field) {
                mask(&mut entry.value);
                hidden_history.push(u32::try_from(index).unwrap_or(u32::MAX));
            }
        }
        item.unknown.clear();
        Self {
            item,
            hidden_history,
        }
    }

    pub fn id(&self) -> Uuid {
        self.item.id
    }

    /// The masked fields, to print (a borrowed view: saving needs the item in full).
    pub fn shown(&self) -> &Item {
        &self.item
    }

    /// Positions in the field history whose values are masked.
    pub fn hidden_history(&self) -> &[u32] {
        &self.hidden_history
    }
}

/// Whether `item` came from a [`MaskedItem`] (its marker survived as an unknown field).
pub fn is_masked(item: &Item) -> bool {
    item.unknown.contains_key(MASKED_MARKER)
}
