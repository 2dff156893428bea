//! A Keyhaven encrypted export as a person picks it: opening it with a password never panics,
//! whatever its envelope says.
#![no_main]

use keyhaven_import::{Format, Unlock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Format::KeyhavenEncrypted.open("fuzz.keyhaven", data, &Unlock::password("pw"));
    let _ = Format::detect(data);
});
