//! API hygiene: problem documents, size limits, the OpenAPI document against the real routes,
//! health, TLS.

use keyhaven_protocol::error::ErrorCode;
use reqwest::{Method, StatusCode};

use crate::common::*;
use crate::on_both_engines;

on_both_engines! {
    async fn health_check_answers_ok(engine: Engine) {
        let server = TestServer::start(engine).await;
        let (status, _, body) = server.raw(Method::GET, "/healthz", None, None).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, b"ok".as_slice()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_problem_documents_with_a_stable_code() {
    let server = TestServer::start(Engine::Sqlite).await;
    server
        .expect_code(
            Method::GET,
            "/v1/nothing-here",
            None,
            None::<()>,
            ErrorCode::NotFound,
        )
        .await;
    let (status, _, problem) = server
        .problem(
            Method::POST,
            "/v1/sessions",
            None,
            Some(serde_json::json!({ "email": 5 })),
        )
        .await;
    assert_eq!(
        (status, problem.code),
        (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest)
    );
    let response = server
        .http
        .post(format!("{}/v1/accounts", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let mut config = test_config();
    config.max_body_bytes = 64 * 1024;
    let server = TestServer::start_with(Engine::Sqlite, config, None).await;
    let big = serde_json::json!({ "email": "a".repeat(100 * 1024) });
    let (status, _, problem) = server
        .problem(Method::POST, "/v1/sessions", None, Some(big))
        .await;
    assert_eq!(
        (status, problem.code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_describes_exactly_the_served_routes() {
    let server = TestServer::start(Engine::Sqlite).await;
    let document: serde_json::Value = server
        .ok(
            Method::GET,
            "/v1/openapi.json",
            None,
            None::<()>,
            StatusCode::OK,
        )
        .await;
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations.sort();
    let expected = [
        ("DELETE", "/v1/account"),
        ("DELETE", "/v1/account/sign-in-methods/{method_id}"),
        ("DELETE", "/v1/devices/{device_id}"),
        ("DELETE", "/v1/sessions/current"),
        ("DELETE", "/v1/sessions/suite-token"),
        ("GET", "/v1/account"),
        ("GET", "/v1/account/sign-in-methods"),
        ("GET", "/v1/devices"),
        ("GET", "/v1/oauth/providers"),
        ("GET", "/v1/statement"),
        ("GET", "/v1/vault"),
        ("GET", "/v1/vault/changes"),
        ("GET", "/v1/vault/events"),
        ("POST", "/v1/account/password"),
        ("POST", "/v1/account/phone"),
        ("POST", "/v1/account/sign-in-methods"),
        ("POST", "/v1/accounts"),
        ("POST", "/v1/challenges/{challenge_id}/resend"),
        ("POST", "/v1/challenges/{challenge_id}/verify"),
        ("POST", "/v1/oauth/token"),
        ("POST", "/v1/sessions"),
        ("POST", "/v1/sessions/refresh"),
        ("POST", "/v1/sessions/suite"),
        ("POST", "/v1/sessions/suite-token"),
        ("POST", "/v1/sessions/suite/check"),
        ("POST", "/v1/vault"),
        ("POST", "/v1/vault/items"),
        ("PUT", "/v1/account/password"),
        ("PUT", "/v1/account/two-step"),
        ("PUT", "/v1/vault/key"),
    ];
    let listed: Vec<(&str, &str)> = operations
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(listed, expected);
    for (method, path) in &operations {
        let concrete = path
            .replace("{device_id}", "00000000-0000-4000-8000-000000000000")
            .replace("{challenge_id}", "unknown");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, _, body) = server.raw(method.clone(), &concrete, None, None).await;
        let body = String::from_utf8_lossy(&body);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !body.contains("There is no such route"),
            "{method} {path} is documented but not served"
        );
    }
    assert!(document["components"]["schemas"]["Problem"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_a_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.key_pair.serialize_pem()).unwrap();
    let mut config = test_config();
    config.data_dir = dir.path().join("data");
    config.tls = Some(keyhaven_server::config::TlsConfig {
        cert: cert_path,
        key: key_path,
    });
    let state = keyhaven_server::start(config, Default::default(), None)
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(keyhaven_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let root = reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([root])
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let response = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outbox_and_secret_are_private_to_the_service_user() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start(Engine::Sqlite).await;
    server
        .begin_account("ada@example.com", PHONE, &device("l", "m", "u"))
        .await;
    let mode =
        |path: std::path::PathBuf| std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(server.dir.path().join("test.db")), 0o600);
    assert_eq!(mode(server.state.config.data_dir.clone()), 0o700);
    assert_eq!(
        mode(server.state.config.data_dir.join("server-secret")),
        0o600
    );
    assert_eq!(mode(server.outbox_path()), 0o600);
}
