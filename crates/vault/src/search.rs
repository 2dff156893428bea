//! The in-memory index of what lists and search show, built at unlock and dropped (zeroed) at lock.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroize;

use crate::item::{card_subtitle, identity_subtitle, Item, ItemContent, ItemKind};

/// What a list row shows about an item: no secrets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ItemSummary {
    pub id: Uuid,
    pub kind: ItemKind,
    pub title: String,
    pub subtitle: String,
    pub urls: Vec<String>,
    pub favourite: bool,
    pub folder: Option<String>,
    pub tags: Vec<String>,
    pub updated_at: i64,
}

impl ItemSummary {
    /// Summarises a decrypted item.
    pub fn of(item: &Item) -> Self {
        Self {
            id: item.id,
            kind: item.content.kind(),
            title: item.title.clone(),
            subtitle: item.content.subtitle(),
            urls: item.content.urls().to_vec(),
            favourite: item.favourite,
            folder: item.folder.clone(),
            tags: item.tags.clone(),
            updated_at: item.updated_at,
        }
    }
}

/// Only what the index needs from an item's JSON: parsed without the full model's
/// unknown-field capture, which keeps unlocking a large vault fast.
#[derive(Deserialize)]
struct IndexedItem {
    id: Uuid,
    title: String,
    content: IndexedContent,
    #[serde(default)]
    favourite: bool,
    #[serde(default)]
    folder: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    updated_at: i64,
}

#[derive(Deserialize)]
struct IndexedContent {
    #[serde(rename = "type")]
    kind: ItemKind,
    #[serde(default)]
    username: String,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    number: String,
    #[serde(default)]
    brand: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

impl Drop for IndexedContent {
    fn drop(&mut self) {
        self.number.zeroize();
    }
}

impl IndexedContent {
    fn subtitle(&self) -> String {
        match self.kind {
            ItemKind::Login => self.username.clone(),
            ItemKind::SecureNote => String::new(),
            ItemKind::Card => card_subtitle(&self.brand, &self.number),
            ItemKind::Identity => identity_subtitle(&self.first_name, &self.last_name),
            ItemKind::Other => String::new(),
        }
    }
}

/// One indexed item: its summary plus the lowercase text search runs over.
pub(crate) struct Entry {
    summary: ItemSummary,
    sort_key: String,
    haystack: String,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.sort_key.zeroize();
        self.haystack.zeroize();
        self.summary.title.zeroize();
        self.summary.subtitle.zeroize();
        self.summary.urls.iter_mut().for_each(Zeroize::zeroize);
        self.summary.tags.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl Entry {
    /// Indexes a decrypted item.
    pub(crate) fn from_item(item: &Item) -> Self {
        let username = match &item.content {
            ItemContent::Login(login) => login.username.as_str(),
            _ => "",
        };
        Self::new(ItemSummary::of(item), username)
    }

    /// Indexes an item straight from its decrypted JSON.
    pub(crate) fn from_json(json: &[u8]) -> serde_json::Result<Self> {
        let mut item: IndexedItem = serde_json::from_slice(json)?;
        let summary = ItemSummary {
            id: item.id,
            kind: item.content.kind,
            subtitle: item.content.subtitle(),
            title: std::mem::take(&mut item.title),
            urls: if item.content.kind == ItemKind::Login {
                std::mem::take(&mut item.content.urls)
            } else {
                Vec::new()
            },
            favourite: item.favourite,
            folder: item.folder.take(),
            tags: std::mem::take(&mut item.tags),
            updated_at: item.updated_at,
        };
        Ok(Self::new(summary, &item.content.username))
    }

    pub(crate) fn id(&self) -> Uuid {
        self.summary.id
    }

    fn new(summary: ItemSummary, username: &str) -> Self {
        let sort_key = summary.title.to_lowercase();
        let mut haystack = String::with_capacity(sort_key.len() + 96);
        haystack.push_str(&sort_key);
        haystack.push('\n');
        for part in std::iter::once(username)
            .chain(summary.urls.iter().map(String::as_str))
            .chain(summary.tags.iter().map(String::as_str))
        {
            push_lowercase(&mut haystack, part);
            haystack.push('\n');
        }
        Self {
            summary,
            sort_key,
            haystack,
        }
    }
}

/// Appends `text` lowercased, without allocating for the usual all-ASCII case.
fn push_lowercase(out: &mut String, text: &str) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&text.to_lowercase());
    }
}

/// Items ordered by title, searchable case-insensitively over title, username, URLs and tags.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
}

impl SearchIndex {
    /// Builds the index from decrypted items.
    pub fn build(items: &[Item]) -> Self {
        Self::from_entries(items.par_iter().map(Entry::from_item).collect())
    }

    /// Orders already built entries by title.
    pub(crate) fn from_entries(mut entries: Vec<Entry>) -> Self {
        entries.par_sort_unstable_by(|a, b| {
            a.sort_key
                .cmp(&b.sort_key)
                .then(a.summary.id.cmp(&b.summary.id))
        });
        Self { entries }
    }

    /// Inserts or replaces an item, keeping title order.
    pub fn upsert(&mut self, item: &Item) {
        self.remove(item.id);
        let entry = Entry::from_item(item);
        let at = self.entries.partition_point(|e| {
            (e.sort_key.as_str(), e.summary.id) < (entry.sort_key.as_str(), entry.summary.id)
        });
        self.entries.insert(at, entry);
    }

    /// Brings many changes in at once (a sync's pull): one pass and one sort instead of one of
    /// each per item, which costs as much for ten changes as for ten thousand.
    pub fn apply_batch(&mut self, upserts: Vec<Item>, removes: Vec<Uuid>) {
        let touched: std::collections::HashSet<Uuid> =
            upserts.iter().map(|item| item.id).chain(removes).collect();
        self.entries.retain(|e| !touched.contains(&e.summary.id));
        let mut seen = std::collections::HashSet::new();
        // The last version of an item in the batch wins.
        let fresh: Vec<Entry> = upserts
            .iter()
            .rev()
            .filter(|item| seen.insert(item.id))
            .map(Entry::from_item)
            .collect();
        self.entries.extend(fresh);
        self.entries.par_sort_unstable_by(|a, b| {
            a.sort_key
                .cmp(&b.sort_key)
                .then(a.summary.id.cmp(&b.summary.id))
        });
    }

    /// Drops an item from the index.
    pub fn remove(&mut self, id: Uuid) {
        self.entries.retain(|e| e.summary.id != id);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every item in title order.
    pub fn all(&self) -> impl Iterator<Item = &ItemSummary> {
        self.entries.iter().map(|e| &e.summary)
    }

    /// Items whose searchable text contains every whitespace-separated term of `query`, in title order.
    pub fn search<'a>(&'a self, query: &str) -> impl Iterator<Item = &'a ItemSummary> + 'a {
        let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        self.entries
            .iter()
            .filter(move |e| terms.iter().all(|t| e.haystack.contains(t.as_str())))
            .map(|e| &e.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{ItemContent, ItemDraft, Login, SecureNote};

    fn item(title: &str, username: &str, url: &str, tags: &[&str]) -> Item {
        let content = if username.is_empty() && url.is_empty() {
            ItemContent::SecureNote(SecureNote::default())
        } else {
            ItemContent::Login(Login {
                username: username.into(),
                urls: vec![url.into()],
                ..Login::default()
            })
        };
        let draft = ItemDraft {
            title: title.into(),
            content,
            favourite: false,
            folder: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        };
        Item::new(draft, Uuid::new_v4(), 0)
    }

    fn titles(index: &SearchIndex, q: &str) -> Vec<String> {
        index.search(q).map(|s| s.title.clone()).collect()
    }

    #[test]
    fn search_is_case_insensitive_over_title_username_urls_and_tags() {
        let items = [
            item("GitHub", "ada@example.com", "https://github.com", &["work"]),
            item("Bank", "ADA", "https://bank.example", &[]),
            item("Wifi code", "", "", &["Home"]),
        ];
        let index = SearchIndex::build(&items);
        assert_eq!(titles(&index, "github"), ["GitHub"]);
        assert_eq!(titles(&index, "ada"), ["Bank", "GitHub"]);
        assert_eq!(titles(&index, "BANK.EXAMPLE"), ["Bank"]);
        assert_eq!(titles(&index, "home"), ["Wifi code"]);
        assert_eq!(titles(&index, "ada work"), ["GitHub"]);
        assert_eq!(titles(&index, ""), ["Bank", "GitHub", "Wifi code"]);
        assert!(titles(&index, "nothing").is_empty());
    }

    #[test]
    fn indexing_from_json_matches_indexing_the_full_item() {
        use crate::item::{Card, Identity};
        let contents = [
            ItemContent::Login(Login {
                username: "ada".into(),
                urls: vec!["https://a.example".into()],
                ..Login::default()
            }),
            ItemContent::SecureNote(SecureNote {
                notes: "secret".into(),
                ..SecureNote::default()
            }),
            ItemContent::Card(Card {
                number: "4111 1111 1111 1234".into(),
                brand: "Visa".into(),
                ..Card::default()
            }),
            ItemContent::Identity(Identity {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                ..Identity::default()
            }),
            ItemContent::Other(crate::item::OtherContent {
                kind: "passkey".into(),
                fields: [("rp_id".to_string(), serde_json::json!("bank.example"))]
                    .into_iter()
                    .collect(),
            }),
        ];
        for content in contents {
            let draft = ItemDraft {
                title: "T".into(),
                content,
                favourite: true,
                folder: Some("F".into()),
                tags: vec!["x".into()],
            };
            let item = Item::new(draft, Uuid::new_v4(), 42);
            let from_json = Entry::from_json(&serde_json::to_vec(&item).unwrap()).unwrap();
            let from_item = Entry::from_item(&item);
            assert_eq!(from_json.summary, from_item.summary);
            assert_eq!(from_json.haystack, from_item.haystack);
        }
    }

    #[test]
    fn upsert_keeps_title_order_and_replaces() {
        let mut a = item("b", "", "", &[]);
        let mut index = SearchIndex::build(&[a.clone(), item("c", "", "", &[])]);
        index.upsert(&item("a", "", "", &[]));
        a.title = "d".into();
        index.upsert(&a);
        assert_eq!(titles(&index, ""), ["a", "c", "d"]);
        index.remove(a.id);
        assert_eq!(index.len(), 2);
    }
}
