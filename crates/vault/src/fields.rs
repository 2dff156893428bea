//! One place that knows where each field lives in an item: for copying and revealing in the
//! app ([`text_of`]), and for `keyhaven vault get --field NAME` ([`by_name`]).

use zeroize::Zeroizing;

use crate::item::{Item, ItemContent};

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

/// A field by the name a script gives it: a content field (`password`, `username`, `number`…),
/// a top-level field (`title`, `folder`, `tags`…), else a login's custom field of that name.
/// Lists are one value per line.
pub fn by_name(item: &Item, name: &str) -> Option<Zeroizing<String>> {
    let value = serde_json::to_value(item).ok()?;
    let found = value
        .get("content")
        .and_then(|c| c.get(name))
        .or_else(|| value.get(name));
    let text = match found {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(values)) => values
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        Some(serde_json::Value::Null) | None => match &item.content {
            ItemContent::Login(login) => login
                .custom_fields
                .iter()
                .find(|f| f.name == name)?
                .value
                .clone(),
            _ => return None,
        },
        Some(other) => other.to_string(),
    };
    Some(Zeroizing::new(text))
}
