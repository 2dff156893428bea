//! What a sealed item blob holds (format 2): the version of the write and whether it deletes the
//! item, then the item's JSON, or for a deletion when it happened. The version and the deleted
//! state are under the seal, so the service can neither pass an older write off as the current
//! one nor delete an item that no device deleted.

use zeroize::Zeroizing;

use crate::error::{Result, VaultError};
use crate::version::ItemVersion;

const LIVE: u8 = 0;
const DELETED: u8 = 1;
const HEADER: usize = 1 + ItemVersion::LEN;

/// The plaintext of a format-2 blob, borrowed from the opened bytes.
pub(crate) enum Body<'a> {
    /// The item's JSON.
    Live(&'a [u8]),
    /// A tombstone: when the item was deleted (milliseconds since the Unix epoch).
    Deleted(i64),
}

/// Lays out a live item's plaintext: kind ‖ version ‖ JSON.
pub(crate) fn encode_live(version: ItemVersion, json: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(HEADER + json.len()));
    out.push(LIVE);
    out.extend_from_slice(&version.to_bytes());
    out.extend_from_slice(json);
    out
}

/// Lays out a tombstone's plaintext: kind ‖ version ‖ deleted-at.
pub(crate) fn encode_deleted(version: ItemVersion, deleted_at: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + 8);
    out.push(DELETED);
    out.extend_from_slice(&version.to_bytes());
    out.extend_from_slice(&deleted_at.to_be_bytes());
    out
}

/// Reads a format-2 plaintext.
pub(crate) fn decode(plain: &[u8]) -> Result<(ItemVersion, Body<'_>)> {
    if plain.len() < HEADER {
        return Err(VaultError::Integrity);
    }
    let mut version = [0u8; ItemVersion::LEN];
    version.copy_from_slice(&plain[1..HEADER]);
    let version = ItemVersion::from_bytes(&version);
    let rest = &plain[HEADER..];
    match plain[0] {
        LIVE => Ok((version, Body::Live(rest))),
        DELETED => {
            let at: [u8; 8] = rest.try_into().map_err(|_| VaultError::Integrity)?;
            Ok((version, Body::Deleted(i64::from_be_bytes(at))))
        }
        _ => Err(VaultError::Integrity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn live_items_and_tombstones_keep_their_version() {
        let version = ItemVersion {
            counter: 7,
            writer: Uuid::from_u128(3),
        };
        let live = encode_live(version, b"{\"title\":\"x\"}");
        match decode(&live).unwrap() {
            (v, Body::Live(json)) => {
                assert_eq!(v, version);
                assert_eq!(json, b"{\"title\":\"x\"}");
            }
            _ => panic!("a live item"),
        }
        let deleted = encode_deleted(version, 42);
        assert!(matches!(decode(&deleted).unwrap(), (v, Body::Deleted(42)) if v == version));
        assert!(decode(&deleted[..10]).is_err());
        let mut unknown = deleted.clone();
        unknown[0] = 9;
        assert!(decode(&unknown).is_err());
    }
}
