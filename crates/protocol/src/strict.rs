//! Refusing unknown fields in structs that flatten another, where serde cannot combine
//! `deny_unknown_fields` with `flatten`.

use serde::de::{Deserializer, Error, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// As the last `#[serde(flatten)]` field of a struct, refuses every field that no other field
/// took; it writes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoOtherFields;

impl Serialize for NoOtherFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for NoOtherFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Refuse;
        impl<'de> Visitor<'de> for Refuse {
            type Value = NoOtherFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("no other fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoOtherFields, A::Error> {
                match map.next_key::<String>()? {
                    Some(field) => Err(A::Error::custom(format!("unknown field `{field}`"))),
                    None => Ok(NoOtherFields),
                }
            }
        }
        deserializer.deserialize_map(Refuse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: u32,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
        b: Option<u32>,
        #[serde(flatten)]
        rest: NoOtherFields,
    }

    #[test]
    fn known_fields_pass_and_unknown_ones_are_refused() {
        let outer: Outer = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!(
            outer,
            Outer {
                inner: Inner { a: 1 },
                b: Some(2),
                rest: NoOtherFields
            }
        );
        assert!(serde_json::from_str::<Outer>(r#"{"a": 1}"#).is_ok());
        let error = serde_json::from_str::<Outer>(r#"{"a": 1, "c": 3}"#).unwrap_err();
        assert!(error.to_string().contains("unknown field `c`"), "{error}");
        assert_eq!(
            serde_json::to_value(&outer).unwrap(),
            serde_json::json!({"a": 1, "b": 2})
        );
    }
}
