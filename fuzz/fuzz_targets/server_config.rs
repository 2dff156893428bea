//! The service's configuration file: any text either loads into a checked configuration or is
//! refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keyhaven_server::config::Config::from_toml(text);
    }
});
