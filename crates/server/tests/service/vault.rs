//! Vault sync: key material, changes since a revision, compare-and-swap pushes, tombstones,
//! concurrency, and the event stream — in the legacy protocol (clients of before the sealed
//! state) and in this one (DESIGN §5a: pushes all or nothing on the vault's revision, the state
//! and key material served with the last page, key material replaced by compare-and-swap).

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_protocol::vault::{
    ChangeResult, ChangesPage, CreateVault, ItemChange, ItemVersion, KdfParams, KeyMaterial,
    KeyMaterialReplaced, PushChanges, PushResult, ReplaceKeyMaterial, VaultInfo,
};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use crate::common::*;
use crate::on_both_engines;

/// Key material as a client of the legacy protocol sends it (no key check, no sealed state).
pub fn vault_request() -> CreateVault {
    keyhaven_testkit::legacy_create_vault()
}

/// A vault of this protocol: with its key check and the sealed state of revision 0 (the service
/// reads neither, so any bytes do).
pub fn sealed_vault_request() -> CreateVault {
    let mut request = vault_request();
    request.key_material.key_check = Some(Bytes(vec![3; 16]));
    request.state = Some(Bytes(b"state 0".to_vec()));
    request
}

fn version(counter: i64) -> Option<ItemVersion> {
    Some(ItemVersion {
        counter,
        writer: Uuid::from_u128(1),
    })
}

/// A push of this protocol on `base` with the (opaque) state of `base + 1`.
fn sealed_push(base: i64, changes: Vec<ItemChange>) -> PushChanges {
    PushChanges {
        base_revision: Some(base),
        state: Some(Bytes(format!("state {}", base + 1).into_bytes())),
        changes,
    }
}

pub async fn create_vault(server: &TestServer, token: &str) -> VaultInfo {
    server
        .ok(
            Method::POST,
            "/v1/vault",
            Some(token),
            Some(vault_request()),
            StatusCode::CREATED,
        )
        .await
}

pub async fn push(server: &TestServer, token: &str, changes: Vec<ItemChange>) -> PushResult {
    server
        .ok(
            Method::POST,
            "/v1/vault/items",
            Some(token),
            Some(PushChanges {
                base_revision: None,
                state: None,
                changes,
            }),
            StatusCode::OK,
        )
        .await
}

/// Pushes `count` new items in one push; returns their ids.
pub async fn push_new(server: &TestServer, token: &str, count: usize) -> Vec<Uuid> {
    let changes: Vec<ItemChange> = (0..count)
        .map(|n| ItemChange {
            item_id: Uuid::new_v4(),
            base_revision: 0,
            version: None,
            blob: Some(Bytes(vec![n as u8; 40])),
        })
        .collect();
    let ids = changes.iter().map(|c| c.item_id).collect();
    push(server, token, changes).await;
    ids
}

pub async fn changes(server: &TestServer, token: &str, since: i64) -> ChangesPage {
    server
        .ok(
            Method::GET,
            &format!("/v1/vault/changes?since={since}"),
            Some(token),
            None::<()>,
            StatusCode::OK,
        )
        .await
}

async fn signed_in(server: &TestServer) -> String {
    let grant = server
        .account("ada@example.com", PHONE, &device("laptop", "m", "ada"))
        .await;
    grant.tokens.access_token.expose().to_owned()
}

on_both_engines! {
    async fn vault_key_material_round_trips_as_opaque_bytes(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        server.expect_code(Method::GET, "/v1/vault", Some(&token), None::<()>, ErrorCode::VaultNotFound).await;
        let request = vault_request();
        let created: VaultInfo = server.ok(Method::POST, "/v1/vault", Some(&token), Some(&request), StatusCode::CREATED).await;
        let read: VaultInfo = server.ok(Method::GET, "/v1/vault", Some(&token), None::<()>, StatusCode::OK).await;
        assert_eq!(created, read);
        assert_eq!((read.key_material, read.revision, read.state), (request.key_material.clone(), 0, None));
        // The same creation again (its answer was lost) finds its vault; another one is refused.
        let retried: VaultInfo = server.ok(Method::POST, "/v1/vault", Some(&token), Some(&request), StatusCode::CREATED).await;
        assert_eq!(retried, created);
        server.expect_code(Method::POST, "/v1/vault", Some(&token), Some(vault_request()), ErrorCode::VaultExists).await;
    }

    async fn push_applies_when_the_base_revision_matches_and_conflicts_otherwise(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        create_vault(&server, &token).await;
        let id = Uuid::new_v4();
        let first = push(&server, &token, vec![ItemChange { item_id: id, base_revision: 0, version: None, blob: Some(Bytes(b"v1".to_vec())) }]).await;
        assert_eq!(first.revision, 1);
        assert_eq!(first.results, [ChangeResult::Applied { item_id: id, revision: 1 }]);
        let second = push(&server, &token, vec![ItemChange { item_id: id, base_revision: 1, version: None, blob: Some(Bytes(b"v2".to_vec())) }]).await;
        assert_eq!(second.revision, 2);
        let stale = push(&server, &token, vec![ItemChange { item_id: id, base_revision: 1, version: None, blob: Some(Bytes(b"v2-other".to_vec())) }]).await;
        assert_eq!(stale.revision, 2, "a push where nothing applied does not move the revision");
        let ChangeResult::Conflict { current, .. } = &stale.results[0] else { panic!("expected a conflict") };
        assert_eq!((current.revision, current.blob.clone()), (2, Some(Bytes(b"v2".to_vec()))));
        let page = changes(&server, &token, 0).await;
        assert_eq!(page.revision, 2);
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].blob, Some(Bytes(b"v2".to_vec())));
    }

    async fn deletes_are_tombstones_that_sync(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        create_vault(&server, &token).await;
        let ids = push_new(&server, &token, 2).await;
        let deleted = push(&server, &token, vec![ItemChange { item_id: ids[0], base_revision: 1, version: None, blob: None }]).await;
        assert_eq!(deleted.revision, 2);
        let page = changes(&server, &token, 1).await;
        assert_eq!(page.items.len(), 1);
        assert_eq!((page.items[0].item_id, page.items[0].deleted, page.items[0].blob.clone()), (ids[0], true, None));
        let everything = changes(&server, &token, 0).await;
        assert_eq!(everything.items.len(), 2);
    }

    async fn an_up_to_date_device_gets_an_empty_page(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        create_vault(&server, &token).await;
        push_new(&server, &token, 3).await;
        let page = changes(&server, &token, 1).await;
        assert_eq!((page.revision, page.items.len(), page.more, page.next_since), (1, 0, false, 1));
    }

    async fn changes_are_paged_without_splitting_a_revision(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        create_vault(&server, &token).await;
        let mut all = BTreeSet::new();
        for size in [400, 400, 300] {
            all.extend(push_new(&server, &token, size).await);
        }
        let path = |since: i64| format!("/v1/vault/changes?since={since}&limit=500");
        let mut seen = BTreeSet::new();
        let mut since = 0;
        let mut pages = 0;
        loop {
            let page: ChangesPage = server.ok(Method::GET, &path(since), Some(&token), None::<()>, StatusCode::OK).await;
            pages += 1;
            let revisions: BTreeSet<i64> = page.items.iter().map(|i| i.revision).collect();
            for revision in &revisions {
                let count = page.items.iter().filter(|i| i.revision == *revision).count();
                assert!(count == 400 || count == 300, "revision {revision} split: {count}");
            }
            seen.extend(page.items.iter().map(|i| i.item_id));
            since = page.next_since;
            if !page.more { break; }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, all);
        assert_eq!(since, 3);
    }

    async fn pushes_are_checked_for_size_and_shape(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        create_vault(&server, &token).await;
        let id = Uuid::new_v4();
        let twice = PushChanges { base_revision: None, state: None, changes: vec![
            ItemChange { item_id: id, base_revision: 0, version: None, blob: None },
            ItemChange { item_id: id, base_revision: 0, version: None, blob: None },
        ]};
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(twice), ErrorCode::InvalidRequest).await;
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(PushChanges { base_revision: None, state: None, changes: vec![] }), ErrorCode::InvalidRequest).await;
        let huge = PushChanges { base_revision: None, state: None, changes: vec![ItemChange { item_id: id, base_revision: 0, version: None, blob: Some(Bytes(vec![0; 300 * 1024])) }] };
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(huge), ErrorCode::PayloadTooLarge).await;
        server.expect_code(Method::GET, "/v1/vault/changes?since=0", None, None::<()>, ErrorCode::Unauthenticated).await;
    }

    async fn two_devices_pushing_the_same_item_concurrently_exactly_one_applies(engine: Engine) {
        let server = TestServer::start(engine).await;
        let laptop = server.account("ada@example.com", PHONE, &device("laptop", "m1", "ada")).await;
        let desktop = server.sign_in("ada@example.com", PHONE, &device("desktop", "m2", "ada")).await;
        let (a, b) = (laptop.tokens.access_token.expose().to_owned(), desktop.tokens.access_token.expose().to_owned());
        create_vault(&server, &a).await;
        let id = push_new(&server, &a, 1).await[0];
        for round in 0..10 {
            let base = changes(&server, &a, 0).await.revision;
            let change = |text: &str| vec![ItemChange { item_id: id, base_revision: base, version: None, blob: Some(Bytes(text.as_bytes().to_vec())) }];
            let (first, second) = tokio::join!(push(&server, &a, change("from a")), push(&server, &b, change("from b")));
            let applied = [&first, &second].iter().filter(|r| matches!(r.results[0], ChangeResult::Applied { .. })).count();
            assert_eq!(applied, 1, "round {round}: {first:?} {second:?}");
            let conflict = [&first, &second].into_iter().find_map(|r| match &r.results[0] {
                ChangeResult::Conflict { current, .. } => Some(current.clone()),
                _ => None,
            }).unwrap();
            assert_eq!(conflict.revision, base + 1, "the loser sees the winner's item");
        }
    }

    async fn fifty_concurrent_pushers_get_gap_free_revisions(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        create_vault(&server, &token).await;
        let pushes = (0..50).map(|_| {
            let server = &server;
            let token = token.clone();
            async move { push_new(server, &token, 1).await; }
        });
        futures_util::future::join_all(pushes).await;
        let page = changes(&server, &token, 0).await;
        assert_eq!(page.revision, 50);
        let revisions: Vec<i64> = page.items.iter().map(|i| i.revision).collect();
        assert_eq!(revisions, (1..=50).collect::<Vec<_>>());
    }

    async fn event_stream_announces_new_revisions_to_the_other_devices(engine: Engine) {
        let server = TestServer::start(engine).await;
        let laptop = server.account("ada@example.com", PHONE, &device("laptop", "m1", "ada")).await;
        let desktop = server.sign_in("ada@example.com", PHONE, &device("desktop", "m2", "ada")).await;
        let (a, b) = (laptop.tokens.access_token.expose().to_owned(), desktop.tokens.access_token.expose().to_owned());
        create_vault(&server, &a).await;
        let response = server.http.get(format!("{}/v1/vault/events", server.base)).bearer_auth(&b).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = response.bytes_stream();
        let mut text = String::new();
        let mut next_event = async || -> String {
            loop {
                if let Some(end) = text.find("\n\n") {
                    let event: String = text.drain(..end + 2).collect();
                    if event.contains("event: revision") { return event; }
                    continue;
                }
                let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next()).await
                    .expect("an event within 5 s").unwrap().unwrap();
                text.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        };
        assert!(next_event().await.contains("data: {\"revision\":0}"), "the stream starts with the current revision");
        push_new(&server, &a, 1).await;
        assert!(next_event().await.contains("data: {\"revision\":1}"));
        // The device's own pushes are not echoed back to it.
        push_new(&server, &b, 1).await;
        push_new(&server, &a, 1).await;
        assert!(next_event().await.contains("data: {\"revision\":3}"));
    }

    async fn a_vault_with_a_sealed_state_takes_a_push_all_or_nothing_on_its_revision(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        let created: VaultInfo = server.ok(Method::POST, "/v1/vault", Some(&token), Some(sealed_vault_request()), StatusCode::CREATED).await;
        assert_eq!(created.state, Some(Bytes(b"state 0".to_vec())));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let change = |id, base, counter| ItemChange { item_id: id, base_revision: base, version: version(counter), blob: Some(Bytes(vec![counter as u8; 40])) };
        let first: PushResult = server.ok(Method::POST, "/v1/vault/items", Some(&token), Some(sealed_push(0, vec![change(a, 0, 1), change(b, 0, 1)])), StatusCode::OK).await;
        assert_eq!(first.revision, 1);
        // On an old revision: nothing applies, not even the change that would fit.
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(sealed_push(0, vec![change(a, 1, 2)])), ErrorCode::VaultChanged).await;
        // On the right revision, but one item is not at its base: nothing applies either.
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(sealed_push(1, vec![change(a, 1, 2), change(b, 0, 2)])), ErrorCode::VaultChanged).await;
        let page = changes(&server, &token, 0).await;
        assert_eq!((page.revision, page.state.clone()), (1, Some(Bytes(b"state 1".to_vec()))));
        assert!(page.items.iter().all(|i| i.version == version(1)), "{:?}", page.items);
        let second: PushResult = server.ok(Method::POST, "/v1/vault/items", Some(&token), Some(sealed_push(1, vec![change(a, 1, 2)])), StatusCode::OK).await;
        assert_eq!(second.revision, 2);
        let page = changes(&server, &token, 1).await;
        assert_eq!(page.items.len(), 1);
        assert_eq!((page.items[0].version, page.state.clone()), (version(2), Some(Bytes(b"state 2".to_vec()))));
        assert_eq!(page.key_material.as_ref().map(|k| k.key_check.clone()), Some(Some(Bytes(vec![3; 16]))));
        // Every change of a sealed push carries its version and its sealed blob.
        let bare = ItemChange { item_id: a, base_revision: 2, version: None, blob: Some(Bytes(vec![1; 40])) };
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(sealed_push(2, vec![bare])), ErrorCode::InvalidRequest).await;
        let no_blob = ItemChange { item_id: a, base_revision: 2, version: version(3), blob: None };
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(sealed_push(2, vec![no_blob])), ErrorCode::InvalidRequest).await;
        assert_eq!(changes(&server, &token, 0).await.revision, 2, "refused pushes moved nothing");
    }

    async fn a_vault_with_a_sealed_state_refuses_the_legacy_protocol(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        server.ok::<VaultInfo>(Method::POST, "/v1/vault", Some(&token), Some(sealed_vault_request()), StatusCode::CREATED).await;
        let legacy = PushChanges { base_revision: None, state: None, changes: vec![ItemChange { item_id: Uuid::new_v4(), base_revision: 0, version: None, blob: Some(Bytes(vec![1; 40])) }] };
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(legacy), ErrorCode::VaultStateRequired).await;
        assert_eq!(changes(&server, &token, 0).await.revision, 0);
    }

    async fn key_material_is_replaced_by_compare_and_swap_with_the_state_that_names_it(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        let created: VaultInfo = server.ok(Method::POST, "/v1/vault", Some(&token), Some(vault_request()), StatusCode::CREATED).await;
        push_new(&server, &token, 2).await;
        let mut material = created.key_material.clone();
        material.wrapped_vault_key = Bytes(vec![8; 60]);
        material.key_check = Some(Bytes(vec![4; 16]));
        let replace = |base: i64, material: &KeyMaterial| ReplaceKeyMaterial { base_revision: base, key_material: material.clone(), state: Bytes(b"state with new key".to_vec()), no_other_fields: Default::default() };
        server.expect_code(Method::PUT, "/v1/vault/key", Some(&token), Some(replace(0, &material)), ErrorCode::VaultChanged).await;
        // The first sealed state of a vault of the legacy protocol comes this way too.
        let done: KeyMaterialReplaced = server.ok(Method::PUT, "/v1/vault/key", Some(&token), Some(replace(1, &material)), StatusCode::OK).await;
        assert_eq!(done.revision, 2);
        let read: VaultInfo = server.ok(Method::GET, "/v1/vault", Some(&token), None::<()>, StatusCode::OK).await;
        assert_eq!((read.key_material, read.revision, read.state), (material.clone(), 2, Some(Bytes(b"state with new key".to_vec()))));
        let mut other_vault = material.clone();
        other_vault.vault_id = Uuid::new_v4();
        server.expect_code(Method::PUT, "/v1/vault/key", Some(&token), Some(replace(2, &other_vault)), ErrorCode::VaultExists).await;
        // From now on the legacy protocol is refused.
        let legacy = PushChanges { base_revision: None, state: None, changes: vec![ItemChange { item_id: Uuid::new_v4(), base_revision: 0, version: None, blob: Some(Bytes(vec![1; 40])) }] };
        server.expect_code(Method::POST, "/v1/vault/items", Some(&token), Some(legacy), ErrorCode::VaultStateRequired).await;
    }

    async fn key_material_out_of_range_is_refused(engine: Engine) {
        let server = TestServer::start(engine).await;
        let token = signed_in(&server).await;
        let with = |change: &dyn Fn(&mut KeyMaterial)| { let mut r = sealed_vault_request(); change(&mut r.key_material); r };
        for bad in [
            with(&|k| k.kdf = KdfParams { memory_kib: 0, iterations: 0, parallelism: 0 }),
            with(&|k| k.kdf.memory_kib = 1024),
            with(&|k| k.kdf.iterations = 1),
            with(&|k| k.kdf.memory_kib = 64 * 1024 * 1024),
            with(&|k| k.kdf.parallelism = 0),
            with(&|k| k.key_check = Some(Bytes(vec![1; 15]))),
        ] {
            server.expect_code(Method::POST, "/v1/vault", Some(&token), Some(bad), ErrorCode::InvalidRequest).await;
        }
        let mut huge_state = sealed_vault_request();
        huge_state.state = Some(Bytes(vec![0; 5000]));
        server.expect_code(Method::POST, "/v1/vault", Some(&token), Some(huge_state), ErrorCode::InvalidRequest).await;
        server.expect_code(Method::GET, "/v1/vault", Some(&token), None::<()>, ErrorCode::VaultNotFound).await;
    }
}
