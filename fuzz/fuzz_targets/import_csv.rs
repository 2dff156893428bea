//! A CSV export as a person picks it, in every CSV format Keyhaven reads: reading it and
//! previewing the import never panics.
#![no_main]

use keyhaven_import::{preview::preview, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [
        Format::ChromeCsv,
        Format::FirefoxCsv,
        Format::SafariCsv,
        Format::BitwardenCsv,
        Format::KeepassXcCsv,
        Format::GenericCsv,
    ] {
        if let Ok(imported) = format.read("fuzz.csv", data) {
            let _ = preview(&imported, &imported.items);
        }
    }
});
