//! Devices: listed, revoked, and the warning when two OS users of one computer connect.

use keyhaven_protocol::devices::DeviceList;
use keyhaven_protocol::error::ErrorCode;
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

on_both_engines! {
    async fn devices_are_listed_and_a_revoked_device_is_signed_out_at_once(engine: Engine) {
        let server = TestServer::start(engine).await;
        let laptop = server.account("ada@example.com", PHONE, &device("Ada's laptop", "m1", "ada")).await;
        let phone = server.sign_in("ada@example.com", PHONE, &device("Ada's desktop", "m2", "ada")).await;
        let token = laptop.tokens.access_token.expose();
        let list: DeviceList = server.ok(Method::GET, "/v1/devices", Some(token), None::<()>, StatusCode::OK).await;
        let names: Vec<(&str, bool)> = list.devices.iter().map(|d| (d.name.as_str(), d.current)).collect();
        assert_eq!(names, [("Ada's laptop", true), ("Ada's desktop", false)]);
        let path = format!("/v1/devices/{}", phone.device_id);
        let () = server.ok(Method::DELETE, &path, Some(token), None::<()>, StatusCode::NO_CONTENT).await;
        server.expect_code(Method::GET, "/v1/devices", Some(phone.tokens.access_token.expose()), None::<()>, ErrorCode::Unauthenticated).await;
        server.expect_code(Method::DELETE, &path, Some(token), None::<()>, ErrorCode::NotFound).await;
        let list: DeviceList = server.ok(Method::GET, "/v1/devices", Some(token), None::<()>, StatusCode::OK).await;
        assert_eq!(list.devices.len(), 1);
    }

    async fn one_account_cannot_revoke_another_accounts_device(engine: Engine) {
        let server = TestServer::start(engine).await;
        let ada = server.account("ada@example.com", PHONE, &device("laptop", "m1", "ada")).await;
        server.clock.advance(std::time::Duration::from_secs(61));
        let bob = server.account("bob@example.com", "+447700900456", &device("laptop", "m2", "bob")).await;
        let path = format!("/v1/devices/{}", ada.device_id);
        server.expect_code(Method::DELETE, &path, Some(bob.tokens.access_token.expose()), None::<()>, ErrorCode::NotFound).await;
        let _: DeviceList = server.ok(Method::GET, "/v1/devices", Some(ada.tokens.access_token.expose()), None::<()>, StatusCode::OK).await;
    }

    async fn sign_in_says_when_another_os_user_of_this_computer_is_connected(engine: Engine) {
        let server = TestServer::start(engine).await;
        let first = server.account("ada@example.com", PHONE, &device("laptop", "shared-pc", "ada")).await;
        assert!(!first.other_os_user_connected);
        let same_user = server.sign_in("ada@example.com", PHONE, &device("laptop cli", "shared-pc", "ada")).await;
        assert!(!same_user.other_os_user_connected, "the same OS user again is not a warning");
        let other_machine = server.sign_in("ada@example.com", PHONE, &device("desktop", "other-pc", "bob")).await;
        assert!(!other_machine.other_os_user_connected);
        let other_user = server.sign_in("ada@example.com", PHONE, &device("laptop", "shared-pc", "bob")).await;
        assert!(other_user.other_os_user_connected);
    }
}
