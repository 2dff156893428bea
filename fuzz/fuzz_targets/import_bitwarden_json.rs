//! A Bitwarden JSON export as a person picks it: reading it and previewing the import never
//! panics, whatever the file holds.
#![no_main]

use keyhaven_import::{preview::preview, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = Format::BitwardenJson.read("fuzz.json", data) {
        let summary = preview(&imported, &imported.items);
        assert_eq!(summary.duplicates.len(), imported.items.len());
    }
});
