//! A `.1pux` file as a person picks it: as raw bytes, and as the `export.data` JSON inside a
//! well-formed zip. Reading it and previewing the import never panics.
#![no_main]

use std::io::Write;

use keyhaven_import::{preview::preview, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Format::OnePassword1pux.read("fuzz.1pux", data);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    if zip
        .start_file("export.data", zip::write::SimpleFileOptions::default())
        .and_then(|()| zip.write_all(data).map_err(Into::into))
        .is_ok()
    {
        if let Ok(file) = zip.finish() {
            if let Ok(imported) = Format::OnePassword1pux.read("fuzz.1pux", file.get_ref()) {
                let _ = preview(&imported, &imported.items);
            }
        }
    }
});
