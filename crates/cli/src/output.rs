//! Printing results: aligned human text by default, JSON with --json.

use keyhaven_vault::item::{Item, ItemContent, ItemKind};
use keyhaven_vault::masked::MaskedItem;
use keyhaven_vault::search::ItemSummary;
use serde::Serialize;

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("keyhaven: cannot encode the result as JSON: {e}"),
    }
}

/// Prints an error: `{ "error": { code, message } }` on stderr with --json, else one line.
pub fn error(as_json: bool, code: &str, err: &anyhow::Error) {
    let message = format!("{err:#}");
    if as_json {
        eprintln!(
            "{}",
            serde_json::json!({ "error": { "code": code, "message": message } })
        );
    } else {
        eprintln!("keyhaven: {message}");
    }
}

pub fn kind_label(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Login => "login",
        ItemKind::SecureNote => "note",
        ItemKind::Card => "card",
        ItemKind::Identity => "identity",
        ItemKind::Other => "other",
    }
}

/// A table of summaries: short id, type, title, subtitle.
pub fn summaries(items: &[&ItemSummary]) {
    if items.is_empty() {
        println!("No items.");
        return;
    }
    let width = items
        .iter()
        .map(|s| s.title.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    println!("{:<8}  {:<8}  {:<width$}  DETAIL", "ID", "TYPE", "TITLE");
    for s in items {
        let star = if s.favourite { " ★" } else { "" };
        let title: String = s.title.chars().take(width).collect();
        let detail = s
            .urls
            .first()
            .map(|u| format!("{}  {u}", s.subtitle))
            .unwrap_or_else(|| s.subtitle.clone());
        println!(
            "{:<8}  {:<8}  {:<width$}  {}{star}",
            &s.id.simple().to_string()[..8],
            kind_label(s.kind),
            title,
            detail.trim()
        );
    }
}

/// One item's fields as "label: value" lines, secrets masked unless `show`.
pub fn item(item: &Item, show: bool) {
    let masked;
    let item = if show {
        item
    } else {
        masked = MaskedItem::new(item.clone());
        masked.shown()
    };
    let mut rows: Vec<(&str, String)> =
        vec![("id", item.id.to_string()), ("title", item.title.clone())];
    match &item.content {
        ItemContent::Login(l) => {
            rows.push(("type", "login".into()));
            rows.push(("username", l.username.clone()));
            rows.push(("password", l.password.clone()));
            for url in &l.urls {
                rows.push(("url", url.clone()));
            }
            if let Some(totp) = &l.totp_secret {
                rows.push(("totp secret", totp.clone()));
            }
            for field in &l.custom_fields {
                rows.push(("field", format!("{} = {}", field.name, field.value)));
            }
            rows.push(("notes", l.notes.clone()));
        }
        ItemContent::SecureNote(n) => {
            rows.push(("type", "note".into()));
            rows.push(("notes", n.notes.clone()));
        }
        ItemContent::Card(c) => {
            rows.push(("type", "card".into()));
            rows.push(("cardholder", c.cardholder_name.clone()));
            rows.push(("number", c.number.clone()));
            if let (Some(m), Some(y)) = (c.expiry_month, c.expiry_year) {
                rows.push(("expiry", format!("{m:02}/{y}")));
            }
            rows.push(("security code", c.security_code.clone()));
            rows.push(("notes", c.notes.clone()));
        }
        ItemContent::Identity(i) => {
            rows.push(("type", "identity".into()));
            rows.push((
                "name",
                format!("{} {}", i.first_name, i.last_name)
                    .trim()
                    .to_string(),
            ));
            rows.push(("email", i.email.clone()));
            rows.push(("phone", i.phone.clone()));
            rows.push(("company", i.company.clone()));
            let address = [&i.address, &i.postal_code, &i.city, &i.country]
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            rows.push(("address", address));
            rows.push(("notes", i.notes.clone()));
        }
        ItemContent::Other(other) => {
            rows.push(("type", format!("{} (from a newer Keyhaven)", other.kind)));
            rows.push((
                "fields",
                format!("{} kept as they are; --json shows them", other.fields.len()),
            ));
        }
    }
    if let Some(folder) = &item.folder {
        rows.push(("folder", folder.clone()));
    }
    if !item.tags.is_empty() {
        rows.push(("tags", item.tags.join(", ")));
    }
    if item.favourite {
        rows.push(("favourite", "yes".into()));
    }
    if !item.password_history.is_empty() {
        rows.push((
            "history",
            format!("{} previous password(s)", item.password_history.len()),
        ));
    }
    for (label, value) in rows.into_iter().filter(|(_, v)| !v.is_empty()) {
        println!("{label:>14}: {value}");
    }
    if !show {
        println!("{:>14}  (secrets hidden: --show prints them)", "");
    }
}
