//! Who this device is to the service: a name the person recognises and two hashes that tell
//! "same computer" and "same OS user of the same computer" apart without revealing either.

use keyhaven_protocol::devices::DeviceInfo;
use sha2::{Digest, Sha256};

/// Names the machine id file to read instead of `/etc/machine-id` (tests simulate computers).
pub const MACHINE_ID_ENV: &str = "KEYHAVEN_MACHINE_ID_FILE";

/// This device as `platform` (`linux` for the desktop app, `cli` for the command line).
pub fn this_device(platform: &str) -> DeviceInfo {
    let machine_id = machine_id();
    let user = os_user();
    DeviceInfo {
        name: device_name(&user),
        platform: platform.to_owned(),
        machine_hash: hash(&["keyhaven/machine/v1", &machine_id]),
        machine_user_hash: hash(&["keyhaven/machine-user/v1", &machine_id, &user]),
    }
}

/// The name this device goes by, as [`this_device`] gives it ("ada on laptop"): also what the
/// vault's sealed state says changed it last.
pub fn this_device_name() -> String {
    device_name(&os_user())
}

fn machine_id() -> String {
    let candidates = std::env::var(MACHINE_ID_ENV)
        .ok()
        .into_iter()
        .chain(["/etc/machine-id".into(), "/var/lib/dbus/machine-id".into()]);
    candidates
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|id| id.trim().to_owned())
        .find(|id| !id.is_empty())
        // Without a machine id every install counts as its own computer.
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn os_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|u| !u.is_empty())
        .unwrap_or_else(|| "user".into())
}

fn device_name(user: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    if host.is_empty() {
        format!("{user}'s computer")
    } else {
        format!("{user} on {host}")
    }
}

fn hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_sha256_and_separate_the_user() {
        let a = hash(&["m", "ada"]);
        assert_eq!(a.len(), 64);
        assert_ne!(a, hash(&["m", "bob"]));
        assert_ne!(
            hash(&["ab", "c"]),
            hash(&["a", "bc"]),
            "parts are length-prefixed"
        );
    }
}
