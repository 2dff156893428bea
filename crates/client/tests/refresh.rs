//! A device stays signed in when a refresh is cut off: the service rotated the refresh token
//! but the client never stored the new one (killed, network gone), or two programs of one
//! session refresh at once. The real service and the real Secret Service.

use keyhaven_client::session::{Session, SessionStore};
use keyhaven_client::{ApiClient, ClientError};
use tempfile::TempDir;

use keyhaven_testkit::service::{account, service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_whose_answer_was_lost_leaves_the_device_signed_in() {
    let service = service().await;
    let grant = account(&service).await;
    let first_refresh = grant.tokens.refresh_token.clone();
    let dir = TempDir::new().unwrap();
    let store = SessionStore::new(dir.path().join("account.json"), "test-refresh-lost");
    let api = ApiClient::new(&service.base).unwrap();
    let session = Session::establish(api.clone(), &service.base, grant, store.clone()).unwrap();
    drop(session);

    // The service rotates the stored refresh token; the answer never reaches the keyring.
    let lost = api.refresh(&first_refresh).await.unwrap();

    // The next run resumes from the keyring, which still holds the rotated token.
    let resumed = Session::resume(store.clone()).unwrap().unwrap();
    let token = resumed.access_token().await.expect("still signed in");
    assert_eq!(token, lost.access_token, "the same pair comes back");
    let account_info = resumed
        .authed(|api, token| async move { api.account(&token).await })
        .await
        .unwrap();
    assert_eq!(account_info.email, "ada@example.com");

    // Two resumed sessions of one store refreshing at once both stay signed in.
    let (a, b) = (
        Session::resume(store.clone()).unwrap().unwrap(),
        Session::resume(store.clone()).unwrap().unwrap(),
    );
    api.refresh(&lost.refresh_token).await.unwrap();
    let (token_a, token_b) = tokio::join!(a.access_token(), b.access_token());
    // Whichever refreshes first stores its rotated token; the other uses either the grace
    // period's same pair or that token. Both stay signed in: each token opens the account.
    for token in [
        token_a.expect("a stays signed in"),
        token_b.expect("b stays signed in"),
    ] {
        assert_eq!(api.account(&token).await.unwrap().email, "ada@example.com");
    }

    store.forget().unwrap();
    assert!(matches!(
        Session::resume(store).map(|s| s.is_none()),
        Ok(true) | Err(ClientError::SignInRequired)
    ));
}
