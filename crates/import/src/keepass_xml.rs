//! KeePass's XML export (KeePassXC *Export → XML*, KeePass 2 *KeePass XML (2.x)*): the database
//! in clear. It is read into a `keepass` database and converted as a `.kdbx` is (one conversion,
//! in [`crate::kdbx`]): the same folders, fields, history, recycle bin and attachments.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use keepass::db::{Entry, GroupId, History, Value};
use keepass::Database;
use quick_xml::events::Event;

use crate::{Format, ImportError, Imported};

const FORMAT: &str = "KeePass XML";
/// Deeper nesting than any database has: a refusal, not a stack overflow.
const MAX_DEPTH: usize = 128;

/// One XML element: its name, attributes, text and children.
#[derive(Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse(bytes: &[u8]) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("it is not well-formed XML ({e})"))?;
        match event {
            Event::Start(start) | Event::Empty(start) if stack.len() > MAX_DEPTH => {
                let _ = start;
                return Err("its elements are nested too deeply".into());
            }
            Event::Start(start) => stack.push(element(&start)?),
            Event::Empty(start) => {
                let done = element(&start)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(done);
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("it closes an element it never opened")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Err("it closes an element it never opened".into()),
                }
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&data.into_inner());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|e| format!("it holds a bad character reference ({e})"))?
                {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.into_inner();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("it uses the unknown entity &{name};"))?
                            .to_owned()
                    }
                };
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if stack.len() != 1 {
        return Err("it ends before its elements are closed; the file is cut short".into());
    }
    let mut document = stack.pop().unwrap_or_default();
    document
        .children
        .pop()
        .ok_or_else(|| "it holds no element".into())
}

fn element(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("it has a malformed attribute ({e})"))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("it has a malformed attribute ({e})"))?;
        attributes.push((attribute.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Element {
        name: start.name().as_ref().to_owned(),
        attributes,
        ..Element::default()
    })
}

/// Reads a KeePass XML export.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let wrong = |detail: String| ImportError::WrongFormat {
        file: file_name.to_owned(),
        format: FORMAT,
        detail,
    };
    let document = parse(bytes).map_err(wrong)?;
    if document.name != "KeePassFile" {
        return Err(wrong(format!(
            "its root element is <{}>, not <KeePassFile>",
            document.name
        )));
    }
    let root = document
        .child("Root")
        .and_then(|r| r.child("Group"))
        .ok_or_else(|| wrong("it has no <Root><Group>".into()))?;
    let mut db = Database::new();
    db.meta.recyclebin_uuid = document
        .child("Meta")
        .and_then(|m| m.text_of("RecycleBinUUID"))
        .and_then(uuid_of)
        .filter(|u| !u.is_nil());
    db.root_mut().name = root.text_of("Name").unwrap_or_default().to_owned();
    let root_id = db.root().id();
    fill_group(&mut db, root_id, root);
    Ok(crate::kdbx::from_database(&db, Format::KeepassXml))
}

fn uuid_of(text: &str) -> Option<uuid::Uuid> {
    let bytes: [u8; 16] = BASE64.decode(text.trim()).ok()?.try_into().ok()?;
    Some(uuid::Uuid::from_bytes(bytes))
}

fn fill_group(db: &mut Database, id: GroupId, element: &Element) {
    for entry in element.children("Entry") {
        if let Some(mut group) = db.group_mut(id) {
            let mut new = group.add_entry();
            fill_entry(&mut new, entry);
            let snapshot: Entry = (*new).clone();
            let mut history = History::default();
            let versions: Vec<&Element> = entry
                .child("History")
                .into_iter()
                .flat_map(|h| h.children("Entry"))
                .collect();
            // The file lists versions oldest first, as the history keeps them; `add_entry` puts
            // each first, so the newest goes in first (equal times keep this order).
            for old in versions.into_iter().rev() {
                let mut version = snapshot.clone();
                version.fields.clear();
                fill_entry(&mut version, old);
                history.add_entry(version);
            }
            new.history = Some(history);
            for binary in entry.children("Binary") {
                let name = binary.text_of("Key").unwrap_or("attachment").to_owned();
                new.add_attachment(name, Value::unprotected(Vec::new()));
            }
        }
    }
    for child in element.children("Group") {
        let child_id = child
            .text_of("UUID")
            .and_then(uuid_of)
            .map(GroupId::from_uuid)
            .filter(|g| db.group(*g).is_none());
        let created = db.group_mut(id).map(|mut parent| {
            let mut group = match child_id {
                Some(gid) => match parent.add_group_with_id(gid) {
                    Ok(group) => group,
                    Err(_) => return None,
                },
                None => parent.add_group(),
            };
            group.name = child.text_of("Name").unwrap_or_default().to_owned();
            Some(group.id())
        });
        if let Some(Some(gid)) = created {
            fill_group(db, gid, child);
        }
    }
}

fn fill_entry(entry: &mut Entry, element: &Element) {
    for string in element.children("String") {
        let (Some(key), Some(value)) = (string.text_of("Key"), string.child("Value")) else {
            continue;
        };
        let protected = ["ProtectInMemory", "Protected"].iter().any(|a| {
            value
                .attribute(a)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        });
        if protected {
            entry.set_protected(key.to_owned(), value.text.clone());
        } else {
            entry.set_unprotected(key.to_owned(), value.text.clone());
        }
    }
    if let Some(tags) = element.text_of("Tags") {
        entry.tags = tags
            .split([';', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(times) = element.child("Times") {
        entry.times.creation = times.text_of("CreationTime").and_then(time_of);
        entry.times.last_modification = times.text_of("LastModificationTime").and_then(time_of);
    }
}

/// A KeePass XML time: ISO 8601 (`2024-05-01T12:00:00Z`), or KDBX 4's base64 of little-endian
/// seconds since 0001-01-01.
fn time_of(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    if let Ok(date) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(date.naive_utc());
    }
    let bytes: [u8; 8] = BASE64.decode(text).ok()?.try_into().ok()?;
    let seconds = i64::from_le_bytes(bytes);
    let epoch = chrono::NaiveDate::from_ymd_opt(1, 1, 1)?.and_hms_opt(0, 0, 0)?;
    epoch.checked_add_signed(chrono::TimeDelta::try_seconds(seconds)?)
}
