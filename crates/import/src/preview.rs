//! What an import would add to a vault, before anything is written: counts by kind and folder,
//! the entries skipped and why, what had no place, and the likely duplicates of items already
//! in the vault (same kind, title, username and first URL).

use std::collections::{BTreeMap, HashSet};

use keyhaven_vault::item::{Item, ItemContent, ItemKind};
use serde::Serialize;

use crate::{Imported, NotKept, Skipped};

/// The summary shown before an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Preview {
    /// How many items of each kind would be added (duplicates included).
    pub by_kind: BTreeMap<String, usize>,
    /// How many items go to each folder; items without one count under "".
    pub by_folder: BTreeMap<String, usize>,
    pub skipped: Vec<Skipped>,
    pub not_kept: Vec<NotKept>,
    /// Imported items that look like ones the vault has: their positions in
    /// [`Imported::items`], so that *Skip duplicates* can leave them out.
    pub duplicates: Vec<Duplicate>,
}

/// An imported item that matches one already in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Duplicate {
    /// Its position in [`Imported::items`].
    pub index: usize,
    pub title: String,
}

/// What importing `imported` into a vault holding `existing` would do.
pub fn preview(imported: &Imported, existing: &[Item]) -> Preview {
    let known: HashSet<DuplicateKey> = existing.iter().map(DuplicateKey::of).collect();
    let mut by_kind = BTreeMap::new();
    let mut by_folder = BTreeMap::new();
    let mut duplicates = Vec::new();
    for (index, item) in imported.items.iter().enumerate() {
        *by_kind
            .entry(kind_name(item.content.kind()).to_owned())
            .or_default() += 1;
        *by_folder
            .entry(item.folder.clone().unwrap_or_default())
            .or_default() += 1;
        if known.contains(&DuplicateKey::of(item)) {
            duplicates.push(Duplicate {
                index,
                title: item.title.clone(),
            });
        }
    }
    Preview {
        by_kind,
        by_folder,
        skipped: imported.skipped.clone(),
        not_kept: imported.not_kept.clone(),
        duplicates,
    }
}

impl Preview {
    /// The items to add: all of them (*Import anyway*), or all but the likely duplicates.
    pub fn items_to_add(&self, imported: &Imported, skip_duplicates: bool) -> Vec<Item> {
        let duplicate: HashSet<usize> = if skip_duplicates {
            self.duplicates.iter().map(|d| d.index).collect()
        } else {
            HashSet::new()
        };
        imported
            .items
            .iter()
            .enumerate()
            .filter(|(index, _)| !duplicate.contains(index))
            .map(|(_, item)| item.clone())
            .collect()
    }
}

/// Kind, title, username and first URL, compared without case or surrounding space.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DuplicateKey {
    kind: ItemKind,
    title: String,
    username: String,
    first_url: String,
}

impl DuplicateKey {
    fn of(item: &Item) -> Self {
        let (username, first_url) = match &item.content {
            ItemContent::Login(login) => (
                login.username.as_str(),
                login.urls.first().map(String::as_str).unwrap_or_default(),
            ),
            _ => ("", ""),
        };
        let fold = |text: &str| text.trim().to_lowercase();
        Self {
            kind: item.content.kind(),
            title: fold(&item.title),
            username: fold(username),
            first_url: fold(first_url.trim_end_matches('/')),
        }
    }
}

fn kind_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Login => "login",
        ItemKind::SecureNote => "secure_note",
        ItemKind::Card => "card",
        ItemKind::Identity => "identity",
        ItemKind::Other => "other",
    }
}
