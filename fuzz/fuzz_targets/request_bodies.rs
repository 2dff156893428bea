//! Every request body the service parses, through the service's own JSON extractor and the
//! checks that follow it: no input may panic, and the number rewrite keeps valid JSON valid.
#![no_main]

use keyhaven_protocol::{accounts, devices, sessions, vault};
use keyhaven_server::extract::{integral_numbers_as_integers, parse_json};
use keyhaven_server::validate;
use libfuzzer_sys::fuzz_target;

fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<T> {
    parse_json::<T>(data).ok()
}

fuzz_target!(|data: &[u8]| {
    if serde_json::from_slice::<serde_json::Value>(data).is_ok() {
        let rewritten = integral_numbers_as_integers(data);
        assert!(serde_json::from_slice::<serde_json::Value>(&rewritten).is_ok());
    }
    if let Some(request) = parse::<accounts::CreateAccount>(data) {
        let _ = validate::email(&request.email);
        let _ = validate::phone(&request.phone);
        let _ = validate::device(&request.device);
        let _ = validate::password(request.password.expose(), &Default::default());
    }
    if let Some(request) = parse::<sessions::SignIn>(data) {
        let _ = validate::email(&request.email);
        let _ = validate::device(&request.device);
    }
    let _ = parse::<devices::DeviceInfo>(data).map(|device| validate::device(&device));
    let _ = parse::<sessions::VerifyCode>(data);
    let _ = parse::<sessions::Refresh>(data);
    let _ = parse::<sessions::RedeemSocialCode>(data);
    let _ = parse::<sessions::SuiteSignIn>(data);
    let _ = parse::<sessions::SuiteCheck>(data);
    let _ = parse::<accounts::ChangePassword>(data);
    let _ = parse::<accounts::ChangePhone>(data).map(|change| validate::phone(&change.phone));
    let _ = parse::<accounts::SetTwoStep>(data);
    let _ = parse::<accounts::DeleteAccount>(data);
    let _ = parse::<vault::CreateVault>(data);
    let _ = parse::<vault::PushChanges>(data);
    let _ = parse::<vault::ReplaceKeyMaterial>(data);
});
