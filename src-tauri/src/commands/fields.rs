//! One place that knows where each field lives in an item, for copying and for revealing.

use keyhaven_vault::item::{Item, ItemContent};

/// Any single text field of an item that a command can hand out.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Username,
    Password,
    TotpSecret,
    CardNumber,
    SecurityCode,
    Email,
    Notes,
    Custom(u32),
    PreviousPassword(u32),
    ReplacedValue(u32),
}

/// The field's text, or `None` when this kind of item has no such field (or the position is out of range).
pub fn text_of(item: &Item, field: Field) -> Option<&str> {
    let at = |i: u32| usize::try_from(i).ok();
    let text = match (&item.content, field) {
        (ItemContent::Login(login), Field::Username) => &login.username,
        (ItemContent::Login(login), Field::Password) => &login.password,
        (ItemContent::Login(login), Field::TotpSecret) => login.totp_secret.as_ref()?,
        (ItemContent::Login(login), Field::Custom(i)) => &login.custom_fields.get(at(i)?)?.value,
        (ItemContent::Card(card), Field::CardNumber) => &card.number,
        (ItemContent::Card(card), Field::SecurityCode) => &card.security_code,
        (ItemContent::Identity(identity), Field::Email) => &identity.email,
        (ItemContent::SecureNote(note), Field::Notes) => &note.notes,
        (_, Field::PreviousPassword(i)) => &item.password_history.get(at(i)?)?.password,
        (_, Field::ReplacedValue(i)) => &item.field_history.get(at(i)?)?.value,
        _ => return None,
    };
    Some(text.as_str())
}
