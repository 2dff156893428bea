//! A KeePass XML export as a person picks it: reading it and previewing the import never
//! panics, whatever its elements, entities and nesting.
#![no_main]

use keyhaven_import::{preview::preview, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = Format::KeepassXml.read("fuzz.xml", data) {
        let _ = preview(&imported, &imported.items);
    }
});
