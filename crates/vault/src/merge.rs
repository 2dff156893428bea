//! Three-way merge of an item's JSON, field by field, for sync conflicts (DESIGN §5).
//!
//! Given the last synced version (base) and the two sides that changed it, each field takes the
//! side that changed it. When both changed the same field differently, the remote value stays
//! and the local one is reported as a [`Conflict`], so the caller can keep it in the item's
//! history and flag the item: no edit is ever lost. Objects merge key by key (so a new
//! username on one device and a new password on another both survive); arrays and scalars are
//! single values; an object whose `type` differs between the sides is a single value too.

use serde_json::{Map, Value};

/// A field both sides changed differently: where it is and the local value the remote replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Dotted path of the field (`content.password`).
    pub path: String,
    /// The local value, now only kept here.
    pub local: Value,
}

/// The merged value and the conflicts it resolved in favour of the remote side.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub value: Value,
    pub conflicts: Vec<Conflict>,
}

/// Merges `local` and `remote`, both descended from `base`.
pub fn merge(base: &Value, local: &Value, remote: &Value) -> Merged {
    let mut conflicts = Vec::new();
    let value =
        merge_at("", Some(base), Some(local), Some(remote), &mut conflicts).unwrap_or(Value::Null);
    Merged { value, conflicts }
}

/// Merges one field; `None` means the field is absent on that side.
fn merge_at(
    path: &str,
    base: Option<&Value>,
    local: Option<&Value>,
    remote: Option<&Value>,
    conflicts: &mut Vec<Conflict>,
) -> Option<Value> {
    if local == remote || local == base {
        return remote.cloned();
    }
    if remote == base {
        return local.cloned();
    }
    if let (Some(Value::Object(l)), Some(Value::Object(r))) = (local, remote) {
        let b = match base {
            Some(Value::Object(b)) => Some(b),
            _ => None,
        };
        if same_type(b, l, r) {
            return Some(Value::Object(merge_objects(path, b, l, r, conflicts)));
        }
    }
    if let Some(local) = local {
        conflicts.push(Conflict {
            path: path.to_owned(),
            local: local.clone(),
        });
    }
    // Remote wins; a remote deletion of a field the local side changed keeps the local value,
    // since a change beats a removal.
    remote.cloned().or_else(|| local.cloned())
}

fn same_type(
    base: Option<&Map<String, Value>>,
    local: &Map<String, Value>,
    remote: &Map<String, Value>,
) -> bool {
    let kind = |m: &Map<String, Value>| m.get("type").cloned();
    kind(local) == kind(remote) && base.is_none_or(|b| kind(b) == kind(local))
}

fn merge_objects(
    path: &str,
    base: Option<&Map<String, Value>>,
    local: &Map<String, Value>,
    remote: &Map<String, Value>,
    conflicts: &mut Vec<Conflict>,
) -> Map<String, Value> {
    let mut keys: Vec<&String> = local.keys().chain(remote.keys()).collect();
    if let Some(base) = base {
        keys.extend(base.keys());
    }
    keys.sort();
    keys.dedup();
    let mut merged = Map::new();
    for key in keys {
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let value = merge_at(
            &child,
            base.and_then(|b| b.get(key)),
            local.get(key),
            remote.get(key),
            conflicts,
        );
        if let Some(value) = value {
            merged.insert(key.clone(), value);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn login(username: &str, password: &str, notes: &str) -> Value {
        json!({ "title": "GitHub", "content": { "type": "login", "username": username, "password": password, "notes": notes } })
    }

    #[test]
    fn different_fields_changed_on_each_side_both_survive() {
        let base = login("ada", "old", "");
        let local = login("ada", "new local", "");
        let remote = login("ada.lovelace", "old", "");
        let merged = merge(&base, &local, &remote);
        assert_eq!(merged.value, login("ada.lovelace", "new local", ""));
        assert!(merged.conflicts.is_empty());
    }

    #[test]
    fn the_same_field_changed_on_both_sides_keeps_remote_and_reports_local() {
        let base = login("ada", "old", "");
        let local = login("ada", "local pw", "");
        let remote = login("ada", "remote pw", "");
        let merged = merge(&base, &local, &remote);
        assert_eq!(merged.value, remote);
        assert_eq!(
            merged.conflicts,
            [Conflict {
                path: "content.password".into(),
                local: json!("local pw")
            }]
        );
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let base = login("ada", "old", "");
        let both = login("ada", "same", "");
        assert_eq!(
            merge(&base, &both, &both),
            Merged {
                value: both.clone(),
                conflicts: vec![]
            }
        );
    }

    #[test]
    fn a_type_change_is_one_value() {
        let base = login("ada", "pw", "");
        let local =
            json!({ "title": "GitHub", "content": { "type": "secure_note", "text": "moved" } });
        let remote = login("ada", "pw2", "");
        let merged = merge(&base, &local, &remote);
        assert_eq!(merged.value, remote);
        assert_eq!(merged.conflicts[0].path, "content");
    }

    #[test]
    fn a_local_edit_beats_a_remote_removal_of_the_field() {
        let base = json!({ "a": 1, "b": 1 });
        let local = json!({ "a": 2, "b": 1 });
        let remote = json!({ "b": 1 });
        let merged = merge(&base, &local, &remote);
        assert_eq!(merged.value, json!({ "a": 2, "b": 1 }));
    }

    fn field() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            Just(None),
            "[a-c]{0,2}".prop_map(|s| Some(Value::String(s))),
            (0i64..3).prop_map(|n| Some(json!(n))),
            prop::collection::vec("[a-b]", 0..2).prop_map(|v| Some(json!(v))),
        ]
    }

    fn item() -> impl Strategy<Value = Value> {
        (
            field(),
            field(),
            field(),
            field(),
            prop_oneof![Just("login"), Just("card")],
        )
            .prop_map(|(a, b, c, d, kind)| {
                let mut content = Map::new();
                content.insert("type".into(), json!(kind));
                if let Some(c) = c {
                    content.insert("username".into(), c);
                }
                if let Some(d) = d {
                    content.insert("password".into(), d);
                }
                let mut top = Map::new();
                top.insert("content".into(), Value::Object(content));
                if let Some(a) = a {
                    top.insert("title".into(), a);
                }
                if let Some(b) = b {
                    top.insert("notes".into(), b);
                }
                Value::Object(top)
            })
    }

    fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(value, |v, key| v.get(key))
    }

    proptest! {
        /// Every leaf value a side changed is in the result, in place or inside a reported conflict.
        #[test]
        fn every_changed_field_value_survives(base in item(), local in item(), remote in item()) {
            let merged = merge(&base, &local, &remote);
            for path in ["title", "notes", "content.type", "content.username", "content.password"] {
                for side in [&local, &remote] {
                    let before = get(&base, path);
                    let after = get(side, path);
                    if after == before || after.is_none() {
                        continue;
                    }
                    let in_place = get(&merged.value, path) == after;
                    let reported = merged.conflicts.iter().any(|c| {
                        (c.path == path && Some(&c.local) == after)
                            || (path.starts_with(&format!("{}.", c.path)) && get(&c.local, &path[c.path.len() + 1..]) == after)
                    });
                    prop_assert!(in_place || reported,
                        "{path}: {after:?} lost\nbase {base}\nlocal {local}\nremote {remote}\nmerged {:?}", merged);
                }
            }
            // No conflict without two different changes.
            for conflict in &merged.conflicts {
                prop_assert_ne!(get(&local, &conflict.path), get(&remote, &conflict.path));
            }
        }
    }
}
