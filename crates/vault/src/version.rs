//! Item versions: which write of an item a sealed blob holds, so that no device ever takes an
//! older write of an item for a newer one, whatever the service serves (DESIGN §5a).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One write of one item: a counter that each write raises past every version of the item this
/// vault has seen, and the vault file (its replica id) that wrote it. Ordered by counter, then
/// writer; two devices writing the same item at once make two different versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ItemVersion {
    pub counter: u64,
    pub writer: Uuid,
}

impl ItemVersion {
    /// Bytes of the encoded version: the counter (big-endian) and the writer.
    pub const LEN: usize = 24;

    /// The version of a write by `writer` after the newest version `seen` of the item.
    pub fn next(seen: Option<ItemVersion>, writer: Uuid) -> Self {
        Self {
            counter: seen.map_or(0, |v| v.counter).saturating_add(1),
            writer,
        }
    }

    /// Counter (big-endian) ‖ writer.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..8].copy_from_slice(&self.counter.to_be_bytes());
        out[8..].copy_from_slice(self.writer.as_bytes());
        out
    }

    /// Reads what [`ItemVersion::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        let mut counter = [0u8; 8];
        counter.copy_from_slice(&bytes[..8]);
        let mut writer = [0u8; 16];
        writer.copy_from_slice(&bytes[8..]);
        Self {
            counter: u64::from_be_bytes(counter),
            writer: Uuid::from_bytes(writer),
        }
    }

    /// The version as SQLite stores it (the counter as INTEGER, the writer as a 16-byte BLOB).
    pub(crate) fn from_columns(counter: Option<i64>, writer: Option<Vec<u8>>) -> Option<Self> {
        let counter = u64::try_from(counter?).ok()?;
        let writer = Uuid::from_slice(&writer?).ok()?;
        Some(Self { counter, writer })
    }

    /// The counter as SQLite stores it.
    pub(crate) fn counter_column(self) -> i64 {
        i64::try_from(self.counter).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_goes_past_the_newest_version_seen_and_versions_order_by_counter_then_writer() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let first = ItemVersion::next(None, a);
        assert_eq!(first.counter, 1);
        let on_b = ItemVersion::next(Some(first), b);
        let on_a = ItemVersion::next(Some(first), a);
        assert_eq!((on_a.counter, on_b.counter), (2, 2));
        assert!(on_a < on_b, "same counter: the writer breaks the tie");
        assert!(first < on_a);
        assert_eq!(ItemVersion::from_bytes(&on_b.to_bytes()), on_b);
    }
}
