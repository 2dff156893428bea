//! Opening an item blob from the service, as a pull does: the first byte picks whether the rest
//! is a blob as received (format byte, nonce, ciphertext) or a plaintext sealed here first with
//! the vault's key, so that the layout and the item JSON behind a valid seal are reached too.
#![no_main]

use keyhaven_vault::crypto::{seal_item, VaultKey};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = VaultKey::from_bytes([7; 32]);
    let (vault_id, item_id) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let blob = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let Ok(sealed) = seal_item(&key, vault_id, item_id, rest) else {
            return;
        };
        sealed
    };
    let _ = keyhaven_vault::open_blob(&key, vault_id, item_id, &blob);
});
