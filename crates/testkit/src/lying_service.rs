//! A lying service: a proxy on loopback between the real client and the real service that
//! forwards every request and can rewrite the vault's answers on the way back (DESIGN §5a's
//! threat model: the service, or anything between it and the devices). It also counts the
//! writes that reach the service, to show that a device pushed nothing back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use keyhaven_protocol::vault::{ChangesPage, VaultInfo};

type PageRewrite = Box<dyn Fn(&mut ChangesPage) + Send + Sync>;
type InfoRewrite = Box<dyn Fn(&mut VaultInfo) + Send + Sync>;

#[derive(Default)]
struct Lies {
    page: Option<PageRewrite>,
    info: Option<InfoRewrite>,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    lies: Arc<Mutex<Lies>>,
    writes: Arc<AtomicUsize>,
}

/// The proxy; the client talks to `base` instead of the service.
pub struct Proxy {
    pub base: String,
    shared: Shared,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a port of its own) and forwards to `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            lies: Arc::default(),
            writes: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, shared }
    }

    /// From now on, every page of changes is rewritten by `lie` before the client sees it.
    pub fn lie_about_changes(&self, lie: impl Fn(&mut ChangesPage) + Send + Sync + 'static) {
        self.shared.lies.lock().unwrap().page = Some(Box::new(lie));
    }

    /// From now on, the vault's key material and state are rewritten by `lie`.
    pub fn lie_about_vault(&self, lie: impl Fn(&mut VaultInfo) + Send + Sync + 'static) {
        self.shared.lies.lock().unwrap().info = Some(Box::new(lie));
    }

    /// Back to forwarding the service's answers as they are.
    pub fn honest(&self) {
        *self.shared.lies.lock().unwrap() = Lies::default();
    }

    /// How many pushes and key replacements reached the service so far.
    pub fn writes(&self) -> usize {
        self.shared.writes.load(Ordering::SeqCst)
    }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let is_write = matches!(
        (&parts.method, parts.uri.path()),
        (&Method::POST, "/v1/vault/items") | (&Method::PUT, "/v1/vault/key")
    );
    let body = axum::body::to_bytes(body, 8 * 1024 * 1024).await.unwrap();
    let mut upstream = shared
        .http
        .request(parts.method.clone(), format!("{}{path}", shared.upstream))
        .body(body.to_vec());
    for name in ["authorization", "content-type", "accept"] {
        if let Some(value) = parts.headers.get(name) {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(_) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::empty())
                .unwrap()
        }
    };
    if is_write && answer.status().is_success() {
        shared.writes.fetch_add(1, Ordering::SeqCst);
    }
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for name in ["content-type", "retry-after"] {
        if let Some(value) = answer.headers().get(name) {
            headers.insert(name, value.clone());
        }
    }
    let rewrites = parts.method == Method::GET && status.is_success();
    let body = if rewrites && parts.uri.path() == "/v1/vault/changes" {
        let mut page: ChangesPage = answer.json().await.unwrap();
        if let Some(lie) = &shared.lies.lock().unwrap().page {
            lie(&mut page);
        }
        Body::from(serde_json::to_vec(&page).unwrap())
    } else if rewrites && parts.uri.path() == "/v1/vault" {
        let mut info: VaultInfo = answer.json().await.unwrap();
        if let Some(lie) = &shared.lies.lock().unwrap().info {
            lie(&mut info);
        }
        Body::from(serde_json::to_vec(&info).unwrap())
    } else {
        Body::from_stream(
            answer
                .bytes_stream()
                .map(|chunk| chunk.map_err(std::io::Error::other)),
        )
    };
    let mut response = Response::builder().status(status).body(body).unwrap();
    *response.headers_mut() = headers;
    response
}
