//! An item's JSON as a vault file or an import holds it: parsing, then the item's own methods.
#![no_main]

use keyhaven_vault::item::Item;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = serde_json::from_slice::<Item>(data) {
        let _ = item.content.subtitle();
        let _ = item.content.kind();
        let _ = item.to_draft().validate();
        let back = serde_json::to_vec(&item).expect("a parsed item serializes");
        let again: Item = serde_json::from_slice(&back).expect("a serialized item parses");
        assert_eq!(again.id, item.id);
    }
});
