//! Merging two versions of one item that changed on two devices since they last synced
//! (DESIGN §5): the field-by-field [`merge`](crate::merge::merge) plus the item's own rules.
//!
//! - A field both sides changed keeps the remote value; the local one goes to the password
//!   history (for the password) or the field history (anything else) and the item is flagged
//!   for review.
//! - Histories are unions of both sides; the review flag merges like any field, raised again
//!   by a new conflict; `updated_at` is the merge time, `created_at` the earliest.

use serde_json::{Map, Value};

use crate::item::{
    FieldHistoryEntry, Item, PasswordHistoryEntry, FIELD_HISTORY_LEN, PASSWORD_HISTORY_LEN,
};
use crate::merge::merge;

/// Fields merged by this module's rules rather than as values.
const OWN_RULES: [&str; 5] = [
    "updated_at",
    "created_at",
    "password_history",
    "field_history",
    "needs_review",
];

/// The merged item and how many local values it kept only in history.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemMerge {
    pub item: Item,
    pub conflicts: usize,
}

/// Merges `local` and `remote`, both descended from `base` (`None`: no common version known,
/// so every differing field counts as changed on both sides), at time `now`.
pub fn merge_items(base: Option<&Item>, local: &Item, remote: &Item, now: i64) -> ItemMerge {
    let base_json = base.map_or(Value::Null, without_own_rules);
    let merged = merge(
        &base_json,
        &without_own_rules(local),
        &without_own_rules(remote),
    );

    let mut passwords = union_passwords(local, remote);
    let mut fields = union_fields(local, remote);
    for conflict in &merged.conflicts {
        match (conflict.path.as_str(), &conflict.local) {
            ("content.password", Value::String(password)) => {
                if !password.is_empty() {
                    passwords.push(PasswordHistoryEntry {
                        password: password.clone(),
                        replaced_at: now,
                    });
                }
            }
            (field, value) => fields.push(FieldHistoryEntry {
                field: field.to_owned(),
                value: as_text(value),
                replaced_at: now,
            }),
        }
    }
    let review_before = match base {
        Some(base) if local.needs_review == base.needs_review => remote.needs_review,
        Some(_) => local.needs_review,
        None => local.needs_review || remote.needs_review,
    };

    let mut value = merged.value;
    if let Value::Object(fields) = &mut value {
        fields.insert(
            "created_at".into(),
            local.created_at.min(remote.created_at).into(),
        );
        fields.insert("updated_at".into(), now.into());
    }
    let mut item = match serde_json::from_value::<Item>(value) {
        Ok(item) => item,
        // Not reachable with items this build wrote, but never lose the local side: keep the
        // remote item and the whole local one in its history.
        Err(_) => {
            fields.push(FieldHistoryEntry {
                field: "item".into(),
                value: as_text(&without_own_rules(local)),
                replaced_at: now,
            });
            remote.clone()
        }
    };
    item.created_at = local.created_at.min(remote.created_at);
    item.updated_at = now.max(local.updated_at).max(remote.updated_at);
    item.password_history = newest_first(
        passwords,
        |a, b| a.password == b.password,
        |e| e.replaced_at,
        PASSWORD_HISTORY_LEN,
    );
    item.field_history = newest_first(
        fields,
        |a, b| a.field == b.field && a.value == b.value,
        |e| e.replaced_at,
        FIELD_HISTORY_LEN,
    );
    item.needs_review = review_before || !merged.conflicts.is_empty();
    ItemMerge {
        item,
        conflicts: merged.conflicts.len(),
    }
}

fn without_own_rules(item: &Item) -> Value {
    let mut value = serde_json::to_value(item).unwrap_or(Value::Object(Map::new()));
    if let Value::Object(fields) = &mut value {
        for key in OWN_RULES {
            fields.remove(key);
        }
    }
    value
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn union_passwords(local: &Item, remote: &Item) -> Vec<PasswordHistoryEntry> {
    local
        .password_history
        .iter()
        .chain(&remote.password_history)
        .cloned()
        .collect()
}

fn union_fields(local: &Item, remote: &Item) -> Vec<FieldHistoryEntry> {
    local
        .field_history
        .iter()
        .chain(&remote.field_history)
        .cloned()
        .collect()
}

/// Newest first, the newest of entries that are the `same`, at most `limit`.
fn newest_first<T>(
    mut entries: Vec<T>,
    same: impl Fn(&T, &T) -> bool,
    time: impl Fn(&T) -> i64,
    limit: usize,
) -> Vec<T> {
    entries.sort_by_key(|e| std::cmp::Reverse(time(e)));
    let mut kept: Vec<T> = Vec::with_capacity(entries.len().min(limit));
    for entry in entries {
        if kept.len() == limit {
            break;
        }
        if !kept.iter().any(|k| same(k, &entry)) {
            kept.push(entry);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::item::{CustomField, ItemContent, ItemDraft, Login};

    fn login(title: &str, username: &str, password: &str, notes: &str) -> ItemDraft {
        ItemDraft {
            title: title.into(),
            content: ItemContent::Login(Login {
                username: username.into(),
                password: password.into(),
                notes: notes.into(),
                ..Login::default()
            }),
            favourite: false,
            folder: None,
            tags: vec![],
        }
    }

    fn edited(base: &Item, draft: ItemDraft, at: i64) -> Item {
        let mut item = base.clone();
        item.apply(draft, at);
        item
    }

    fn base() -> Item {
        Item::new(login("GitHub", "ada", "old", ""), Uuid::from_u128(7), 1)
    }

    #[test]
    fn edits_of_different_fields_both_survive_without_a_flag() {
        let base = base();
        let local = edited(&base, login("GitHub", "ada", "new", ""), 5);
        let remote = edited(&base, login("GitHub", "ada.l", "old", ""), 6);
        let merged = merge_items(Some(&base), &local, &remote, 10);
        assert_eq!(merged.conflicts, 0);
        assert_eq!(merged.item.to_draft(), login("GitHub", "ada.l", "new", ""));
        assert_eq!(merged.item.password_history[0].password, "old");
        assert!(!merged.item.needs_review);
        assert_eq!(merged.item.updated_at, 10);
    }

    #[test]
    fn a_password_changed_on_both_sides_keeps_remote_and_the_local_one_in_history() {
        let base = base();
        let local = edited(&base, login("GitHub", "ada", "local", ""), 5);
        let remote = edited(&base, login("GitHub", "ada", "remote", ""), 6);
        let merged = merge_items(Some(&base), &local, &remote, 10);
        assert_eq!(merged.conflicts, 1);
        assert_eq!(merged.item.to_draft(), login("GitHub", "ada", "remote", ""));
        let history: Vec<&str> = merged
            .item
            .password_history
            .iter()
            .map(|e| e.password.as_str())
            .collect();
        assert_eq!(
            history,
            ["local", "old"],
            "old was in both histories; kept once"
        );
        assert!(merged.item.needs_review);
    }

    #[test]
    fn another_field_changed_on_both_sides_goes_to_the_field_history() {
        let base = base();
        let local = edited(&base, login("GitHub (work)", "ada", "old", ""), 5);
        let remote = edited(&base, login("GitHub (home)", "ada", "old", ""), 6);
        let merged = merge_items(Some(&base), &local, &remote, 10);
        assert_eq!(merged.item.title, "GitHub (home)");
        assert_eq!(
            merged.item.field_history,
            [FieldHistoryEntry {
                field: "title".into(),
                value: "GitHub (work)".into(),
                replaced_at: 10
            }]
        );
        assert!(merged.item.needs_review);
    }

    #[test]
    fn a_review_done_on_one_device_is_not_undone_by_the_other() {
        let mut base = base();
        base.needs_review = true;
        let local = edited(&base, login("GitHub", "ada", "old", "note"), 5);
        let mut remote = base.clone();
        remote.needs_review = false;
        let merged = merge_items(Some(&base), &local, &remote, 10);
        assert!(!merged.item.needs_review);
        assert_eq!(
            merged.item.to_draft(),
            login("GitHub", "ada", "old", "note")
        );
    }

    #[test]
    fn without_a_common_version_every_difference_is_kept() {
        let id = Uuid::from_u128(9);
        let local = Item::new(login("A", "ada", "pw1", ""), id, 3);
        let remote = Item::new(login("A", "bob", "pw2", ""), id, 4);
        let merged = merge_items(None, &local, &remote, 10);
        assert_eq!(merged.item.to_draft(), login("A", "bob", "pw2", ""));
        assert_eq!(merged.item.password_history[0].password, "pw1");
        assert_eq!(merged.item.field_history[0].value, "ada");
        assert_eq!(merged.item.created_at, 3);
    }

    fn text() -> impl Strategy<Value = String> {
        "[a-c]{0,2}"
    }

    fn draft() -> impl Strategy<Value = ItemDraft> {
        (
            text(),
            text(),
            text(),
            text(),
            prop::option::of(text()),
            any::<bool>(),
        )
            .prop_map(
                |(title, username, password, notes, custom, favourite)| ItemDraft {
                    title,
                    content: ItemContent::Login(Login {
                        username,
                        password,
                        notes,
                        custom_fields: custom
                            .map(|value| CustomField {
                                name: "pin".into(),
                                value,
                                hidden: true,
                            })
                            .into_iter()
                            .collect(),
                        ..Login::default()
                    }),
                    favourite,
                    folder: None,
                    tags: vec![],
                },
            )
    }

    fn field_values(item: &Item) -> Vec<(&'static str, Value)> {
        let draft = serde_json::to_value(item.to_draft()).unwrap_or_default();
        [
            "title",
            "favourite",
            "content.username",
            "content.password",
            "content.notes",
            "content.custom_fields",
        ]
        .into_iter()
        .filter_map(|path| {
            let value = path.split('.').try_fold(&draft, |v, key| v.get(key))?;
            Some((path, value.clone()))
        })
        .collect()
    }

    proptest! {
        /// Every field value either side changed is in the merged item, in place or in a history.
        #[test]
        fn no_changed_value_is_lost(b in draft(), l in draft(), r in draft()) {
            let base = Item::new(b, Uuid::from_u128(1), 1);
            let local = edited(&base, l, 5);
            let remote = edited(&base, r, 6);
            let merged = merge_items(Some(&base), &local, &remote, 10).item;
            let now: Vec<_> = field_values(&merged);
            let before = field_values(&base);
            for side in [&local, &remote] {
                for (path, value) in field_values(side) {
                    if before.contains(&(path, value.clone())) {
                        continue;
                    }
                    let in_place = now.contains(&(path, value.clone()));
                    let text = as_text(&value);
                    let in_history = merged.field_history.iter().any(|e| e.field == path && e.value == text)
                        || (path == "content.password" && (text.is_empty() || merged.password_history.iter().any(|e| e.password == text)));
                    prop_assert!(in_place || in_history, "{path} = {value} lost: {merged:?}");
                }
            }
        }
    }
}
