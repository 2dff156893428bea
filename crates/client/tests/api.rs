//! The client against the real service on loopback (SQLite): every call it makes, and how
//! errors reach the caller.

use futures_util::StreamExt;
use keyhaven_client::{ApiClient, ClientError};
use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::sessions::{SignIn, SignInOutcome};
use keyhaven_protocol::vault::{ChangeResult, ItemChange, PushChanges};
use uuid::Uuid;

use keyhaven_testkit::service::{account, device, service, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_session_and_vault_calls_round_trip() {
    let service = service().await;
    let grant = account(&service).await;
    let token = &grant.tokens.access_token;
    assert_eq!(
        service.client.account(token).await.unwrap().email,
        "ada@example.com"
    );
    assert_eq!(
        service.client.devices(token).await.unwrap().devices.len(),
        1
    );
    let vault = keyhaven_testkit::legacy_create_vault();
    assert_eq!(
        service
            .client
            .create_vault(token, &vault)
            .await
            .unwrap()
            .key_material
            .vault_id,
        vault.key_material.vault_id
    );
    let item_id = Uuid::new_v4();
    let pushed = service
        .client
        .push(
            token,
            &PushChanges {
                base_revision: None,
                state: None,
                changes: vec![ItemChange {
                    item_id,
                    base_revision: 0,
                    version: None,
                    blob: Some(Bytes(b"x".to_vec())),
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        pushed.results,
        [ChangeResult::Applied {
            item_id,
            revision: 1
        }]
    );
    let page = service.client.changes(token, 0).await.unwrap();
    assert_eq!(page.items[0].item_id, item_id);
    let rotated = service
        .client
        .refresh(&grant.tokens.refresh_token)
        .await
        .unwrap();
    service
        .client
        .sign_out(&rotated.access_token)
        .await
        .unwrap();
    let error = service
        .client
        .account(&rotated.access_token)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::Unauthenticated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_arrive_with_their_code_and_details() {
    let service = service().await;
    account(&service).await;
    let sign_in = SignIn {
        email: "ada@example.com".into(),
        password: PASSWORD.into(),
        device: device("desktop"),
        accepted_statement_version: None,
    };
    // The sign-up code went out a moment ago: the sign-in goes to its code step, and its code
    // may be asked for once the 60 s cooldown is over.
    let outcome = service.client.sign_in(&sign_in).await.unwrap();
    let SignInOutcome::SmsRequired(challenge) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(!challenge.sent);
    let error = service
        .client
        .resend(&challenge.challenge_id)
        .await
        .unwrap_err();
    let ClientError::Service {
        code,
        retry_after_seconds,
        status,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!((*code, *status), (ErrorCode::SmsResendTooSoon, 429));
    assert!(retry_after_seconds.is_some_and(|s| s <= 60));
    assert_eq!(error.code_str(), "sms_resend_too_soon");
    let wrong = SignIn {
        password: "not the password".into(),
        ..sign_in
    };
    let error = service.client.sign_in(&wrong).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::InvalidCredentials));
    assert!(error.to_string().contains("not right"));
    let error = service
        .client
        .verify("unknown", "123456")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::ChallengeNotFound));
    assert!(matches!(
        service.client.verify("../etc", "1").await,
        Err(ClientError::Protocol(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_is_offline_not_an_error_code() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = ApiClient::new(&format!("http://127.0.0.1:{port}")).unwrap();
    let error = client.statement().await.unwrap_err();
    assert!(matches!(error, ClientError::Offline(_)), "{error:?}");
    assert_eq!(error.code_str(), "offline");
}

#[test]
fn plain_http_is_refused_beyond_this_computer() {
    assert!(ApiClient::new("http://keyhaven.example.com").is_err());
    assert!(ApiClient::new("https://keyhaven.example.com").is_ok());
    assert!(ApiClient::new("http://127.0.0.1:8787/").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revision_events_stream_from_the_service() {
    let service = service().await;
    let grant = account(&service).await;
    let token = &grant.tokens.access_token;
    let vault = keyhaven_testkit::legacy_create_vault();
    service.client.create_vault(token, &vault).await.unwrap();
    let mut events = Box::pin(service.client.events(token).await.unwrap());
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.revision, 0);
}
