//! One configured OpenID provider as the service uses it: its endpoints from the issuer's
//! discovery document and its signing keys (JWKS), fetched when first needed and kept for an
//! hour; an ID token signed with a key not yet known fetches the keys once more (the provider
//! rotated them) before it is refused.

use std::time::{Duration, Instant};

use openidconnect::core::CoreJsonWebKeySet;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::id_token::{self, Expectations, IdTokenError, VerifiedIdentity};
use crate::config::ProviderConfig;

/// How long discovery and keys are trusted before they are fetched again.
const CACHE_FOR: Duration = Duration::from_secs(3600);
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the provider could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the sign-in provider cannot be reached: {0}")]
    Unreachable(String),
    #[error("the sign-in provider's configuration is unusable: {0}")]
    BadMetadata(String),
    #[error("the sign-in provider refused the code: {0}")]
    Refused(String),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
}

/// Words for the operator's log name the details; these say to the person what happened.
const SET_UP_WRONGLY: &str = "the sign-in provider is not set up correctly on this service; \
                              its administrator can see why in the service's log";

impl ProviderError {
    /// The OAuth error code (RFC 6749 §4.1.2.1) and the words the app shows for this failure:
    /// a provider that is down (try later), one set up wrongly on this service (tell its
    /// administrator), a sign-in that went stale (start again), or an answer that did not verify.
    pub fn for_the_app(&self) -> (&'static str, String) {
        match self {
            Self::Unreachable(_) => (
                "temporarily_unavailable",
                "the sign-in provider cannot be reached; try again in a few minutes".into(),
            ),
            Self::BadMetadata(_) => ("server_error", SET_UP_WRONGLY.into()),
            Self::Refused(error) => match error.as_str() {
                "invalid_client" | "unauthorized_client" | "unsupported_grant_type" => {
                    ("server_error", SET_UP_WRONGLY.into())
                }
                "invalid_grant" => (
                    "server_error",
                    "the sign-in provider no longer accepts this sign-in (it took too long, or \
                     was answered twice); start again"
                        .into(),
                ),
                other => (
                    "server_error",
                    format!(
                        "the sign-in provider refused to finish the sign-in ({}); start again",
                        other.chars().take(80).collect::<String>()
                    ),
                ),
            },
            Self::IdToken(token) => match token {
                IdTokenError::WrongAudience
                | IdTokenError::DisallowedAlgorithm
                | IdTokenError::Unsigned => ("server_error", SET_UP_WRONGLY.into()),
                IdTokenError::Expired | IdTokenError::IssuedInFuture => (
                    "server_error",
                    format!(
                        "{token}, so nothing was signed in; the clock of this service or of the \
                         provider is probably wrong"
                    ),
                ),
                IdTokenError::WrongNonce => (
                    "server_error",
                    "the sign-in provider answered another sign-in, so nothing was signed in; \
                     start again"
                        .into(),
                ),
                _ => (
                    "server_error",
                    format!(
                        "the sign-in provider's answer could not be verified ({token}), so \
                         nothing was signed in"
                    ),
                ),
            },
        }
    }
}

/// The provider's token response; only the ID token matters to the service.
#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// The endpoints the flow needs, from the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// How the token endpoint takes the client's secret; absent means `client_secret_basic`
    /// (OpenID Connect Discovery §3).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

impl Endpoints {
    /// Whether a client secret goes in the form body (`client_secret_post`) rather than in HTTP
    /// Basic: only when the provider lists post and not Basic.
    fn secret_in_body(&self) -> bool {
        let listed = |method: &str| {
            self.token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == method)
        };
        listed("client_secret_post") && !listed("client_secret_basic")
    }
}

struct Cached {
    endpoints: Endpoints,
    keys: CoreJsonWebKeySet,
    fetched: Instant,
}

/// A provider, its configuration and what was fetched from it.
pub struct Provider {
    pub name: String,
    pub config: ProviderConfig,
    http: reqwest::Client,
    cache: Mutex<Option<Cached>>,
}

impl Provider {
    pub fn new(name: &str, config: ProviderConfig) -> Self {
        // The service installs it at start; a provider built on its own (tests) needs it too.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            name: name.to_owned(),
            config,
            http,
            cache: Mutex::new(None),
        }
    }

    /// The provider's endpoints (discovery, cached).
    pub async fn endpoints(&self) -> Result<Endpoints, ProviderError> {
        let mut cache = self.cache.lock().await;
        Ok(self.fresh(&mut cache, false).await?.endpoints.clone())
    }

    /// Verifies an ID token from this provider against its keys, our client id and `nonce`.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
        now_ms: i64,
    ) -> Result<VerifiedIdentity, ProviderError> {
        let mut cache = self.cache.lock().await;
        let mut refetched = false;
        loop {
            let cached = self.fresh(&mut cache, refetched).await?;
            // The issuer as the provider names itself (discovery matched it to the configured
            // one, a trailing "/" aside): ID tokens carry exactly that.
            let expect = Expectations {
                issuer: &cached.endpoints.issuer,
                client_id: &self.config.client_id,
                jwks: &cached.keys,
                nonce,
                now_ms,
            };
            match id_token::verify(token, &expect) {
                Err(IdTokenError::UnknownKey) if !refetched => refetched = true,
                other => return Ok(other?),
            }
        }
    }

    /// Exchanges the authorization code the provider sent back for its ID token (PKCE verifier
    /// included). A client secret goes as discovery says: HTTP Basic, or in the body when the
    /// provider takes only that.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<String, ProviderError> {
        let endpoints = self.endpoints().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut request = self.http.post(&endpoints.token_endpoint);
        let signed_secret;
        if let Some(key) = &self.config.client_secret_key {
            // Apple reads the client's credentials from the body (client_secret_post).
            signed_secret = key
                .mint(&self.config.client_id, &endpoints.issuer)
                .map_err(|e| ProviderError::Refused(e.to_string()))?;
            form.push(("client_id", &self.config.client_id));
            form.push(("client_secret", &signed_secret));
        } else {
            match &self.config.client_secret {
                Some(secret) if endpoints.secret_in_body() => {
                    form.push(("client_id", &self.config.client_id));
                    form.push(("client_secret", secret));
                }
                Some(secret) => {
                    request = request.basic_auth(
                        form_urlencode(&self.config.client_id),
                        Some(form_urlencode(secret)),
                    );
                }
                None => form.push(("client_id", &self.config.client_id)),
            }
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            let error = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or_else(|| status.to_string());
            return Err(ProviderError::Refused(error));
        }
        serde_json::from_slice::<TokenResponse>(&bytes)
            .map_err(|e| ProviderError::BadMetadata(format!("token response: {e}")))?
            .id_token
            .ok_or_else(|| ProviderError::BadMetadata("the token response has no ID token".into()))
    }

    /// The cached metadata and keys, fetched again when missing, old, or `refetch` is asked.
    async fn fresh<'a>(
        &self,
        cache: &'a mut Option<Cached>,
        refetch: bool,
    ) -> Result<&'a Cached, ProviderError> {
        let stale = cache
            .as_ref()
            .is_none_or(|c| refetch || c.fetched.elapsed() > CACHE_FOR);
        if stale {
            *cache = Some(self.fetch().await?);
        }
        cache
            .as_ref()
            .ok_or_else(|| ProviderError::BadMetadata("nothing fetched".into()))
    }

    async fn fetch(&self) -> Result<Cached, ProviderError> {
        let issuer = self.config.issuer.trim_end_matches('/');
        let discovery = format!("{issuer}/.well-known/openid-configuration");
        let endpoints: Endpoints = self.get_json(&discovery).await?;
        // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
        if endpoints.issuer.trim_end_matches('/') != issuer {
            return Err(ProviderError::BadMetadata(format!(
                "the discovery document names issuer {} instead of {issuer}",
                endpoints.issuer
            )));
        }
        for url in [
            &endpoints.authorization_endpoint,
            &endpoints.token_endpoint,
            &endpoints.jwks_uri,
        ] {
            check_endpoint(url)?;
        }
        let keys: CoreJsonWebKeySet = self.get_json(&endpoints.jwks_uri).await?;
        Ok(Cached {
            endpoints,
            keys,
            fetched: Instant::now(),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, ProviderError> {
        let response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(ProviderError::Unreachable(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::BadMetadata(format!("{url}: {e}")))
    }
}

/// RFC 6749 §2.3.1: client credentials are form-urlencoded before HTTP Basic encoding.
fn form_urlencode(value: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", [("v", value)])
        .ok()
        .and_then(|url| url.query().map(|q| q.trim_start_matches("v=").to_owned()))
        .unwrap_or_else(|| value.to_owned())
}

/// Provider endpoints must be HTTPS; plain HTTP only on this computer (test providers).
fn check_endpoint(url: &str) -> Result<(), ProviderError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| ProviderError::BadMetadata(format!("{url}: {e}")))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(ProviderError::BadMetadata(format!(
            "{url} is not an https address"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex as StdMutex};

    use axum::extract::State;
    use axum::routing::get;
    use axum::{Json, Router};
    use openidconnect::PrivateSigningKey;
    use serde_json::{json, Value};

    use super::*;
    use crate::config::ResponseMode;
    use crate::social::test_support::{key, provider_key, token, Claims, CLIENT, NONCE, NOW_MS};

    /// A provider on loopback serving discovery and whatever keys the test publishes.
    struct TestProvider {
        issuer: String,
        keys: Arc<StdMutex<Value>>,
        key_fetches: Arc<StdMutex<u32>>,
        /// The form bodies posted to the token endpoint.
        token_requests: Arc<StdMutex<Vec<String>>>,
    }

    impl TestProvider {
        /// The form of the first request to the token endpoint.
        fn first_token_form(&self) -> std::collections::HashMap<String, String> {
            let body = self.token_requests.lock().unwrap()[0].clone();
            serde_urlencoded::from_str(&body).unwrap()
        }
    }

    async fn test_provider(issuer_override: Option<&str>) -> TestProvider {
        test_provider_with(issuer_override, json!({})).await
    }

    /// Like [`test_provider`], with `extra` fields in the discovery document.
    async fn test_provider_with(issuer_override: Option<&str>, extra: Value) -> TestProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let keys = Arc::new(StdMutex::new(json!({
            "keys": [serde_json::to_value(provider_key().as_verification_key()).unwrap()]
        })));
        let key_fetches = Arc::new(StdMutex::new(0));
        let token_requests = Arc::new(StdMutex::new(Vec::new()));
        let posted = token_requests.clone();
        let named_issuer = issuer_override.unwrap_or(&issuer).to_owned();
        let mut discovery = json!({
            "issuer": named_issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
        });
        if let (Some(document), Some(extra)) = (discovery.as_object_mut(), extra.as_object()) {
            document.extend(extra.clone());
        }
        type Shared = (Arc<StdMutex<Value>>, Arc<StdMutex<u32>>);
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || {
                    let discovery = discovery.clone();
                    async move { Json(discovery) }
                }),
            )
            .route(
                "/jwks",
                get(|State((keys, fetches)): State<Shared>| async move {
                    *fetches.lock().unwrap() += 1;
                    Json(keys.lock().unwrap().clone())
                }),
            )
            .with_state((keys.clone(), key_fetches.clone()))
            .route(
                "/token",
                axum::routing::post(move |body: String| {
                    posted.lock().unwrap().push(body);
                    async {
                        (
                            axum::http::StatusCode::BAD_REQUEST,
                            Json(json!({ "error": "invalid_grant" })),
                        )
                    }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestProvider {
            issuer,
            keys,
            key_fetches,
            token_requests,
        }
    }

    fn provider(issuer: &str) -> Provider {
        Provider::new(
            "google",
            ProviderConfig {
                issuer: issuer.to_owned(),
                client_id: CLIENT.to_owned(),
                client_secret: Some("s3cret".into()),
                client_secret_key: None,
                response_mode: ResponseMode::Query,
            },
        )
    }

    fn claims_for(issuer: &'static str) -> Claims {
        Claims {
            issuer,
            ..Claims::default()
        }
    }

    #[tokio::test]
    async fn discovery_gives_the_endpoints_and_keys_verify_a_token() {
        let stub = test_provider(None).await;
        let google = provider(&stub.issuer);
        let endpoints = google.endpoints().await.unwrap();
        assert_eq!(endpoints.token_endpoint, format!("{}/token", stub.issuer));
        let issuer: &'static str = Box::leak(stub.issuer.clone().into_boxed_str());
        let id_token = token(claims_for(issuer), &provider_key());
        let identity = google
            .verify_id_token(&id_token, NONCE, NOW_MS)
            .await
            .unwrap();
        assert_eq!(identity.subject, "248289761001");
        assert_eq!(*stub.key_fetches.lock().unwrap(), 1, "keys are cached");
    }

    #[tokio::test]
    async fn an_issuer_configured_with_a_trailing_slash_still_accepts_its_tokens() {
        let stub = test_provider(None).await;
        let google = provider(&format!("{}/", stub.issuer));
        let issuer: &'static str = Box::leak(stub.issuer.clone().into_boxed_str());
        let id_token = token(claims_for(issuer), &provider_key());
        let identity = google.verify_id_token(&id_token, NONCE, NOW_MS).await;
        assert_eq!(identity.map(|i| i.subject), Ok("248289761001".to_owned()));
        // Only the provider's own spelling passes: a token naming the configured one is refused.
        let configured: &'static str = Box::leak(format!("{}/", stub.issuer).into_boxed_str());
        let other = token(claims_for(configured), &provider_key());
        assert_eq!(
            google.verify_id_token(&other, NONCE, NOW_MS).await,
            Err(ProviderError::IdToken(IdTokenError::WrongIssuer))
        );
    }

    #[tokio::test]
    async fn rotated_keys_are_fetched_once_more_and_unknown_ones_still_refused() {
        let stub = test_provider(None).await;
        let google = provider(&stub.issuer);
        let issuer: &'static str = Box::leak(stub.issuer.clone().into_boxed_str());
        google.endpoints().await.unwrap();

        let rotated = key(include_str!("testdata/other-key.pem"), "key-2");
        *stub.keys.lock().unwrap() =
            json!({ "keys": [serde_json::to_value(rotated.as_verification_key()).unwrap()] });
        let id_token = token(claims_for(issuer), &rotated);
        assert!(google
            .verify_id_token(&id_token, NONCE, NOW_MS)
            .await
            .is_ok());
        assert_eq!(*stub.key_fetches.lock().unwrap(), 2);

        let stranger = key(include_str!("testdata/provider-key.pem"), "key-9");
        let refused = google
            .verify_id_token(&token(claims_for(issuer), &stranger), NONCE, NOW_MS)
            .await;
        assert_eq!(
            refused,
            Err(ProviderError::IdToken(IdTokenError::UnknownKey))
        );
        assert_eq!(
            *stub.key_fetches.lock().unwrap(),
            3,
            "one more fetch, then refused"
        );
    }

    #[test]
    fn each_failure_tells_the_app_what_happened() {
        let says = |error: ProviderError, code: &str, words: &str| {
            let (sent, text) = error.for_the_app();
            assert_eq!(sent, code, "{text}");
            assert!(text.contains(words), "{text}");
            assert!(
                !text.contains(": "),
                "the app shows the text after the last ': ': {text}"
            );
        };
        says(
            ProviderError::Unreachable("connection refused".into()),
            "temporarily_unavailable",
            "cannot be reached",
        );
        says(
            ProviderError::BadMetadata("no jwks_uri".into()),
            "server_error",
            "not set up correctly",
        );
        says(
            ProviderError::Refused("invalid_client".into()),
            "server_error",
            "not set up correctly",
        );
        says(
            ProviderError::Refused("invalid_grant".into()),
            "server_error",
            "start again",
        );
        says(
            ProviderError::Refused("slow_down".into()),
            "server_error",
            "(slow_down)",
        );
        says(
            IdTokenError::WrongAudience.into(),
            "server_error",
            "not set up correctly",
        );
        says(IdTokenError::Expired.into(), "server_error", "clock");
        says(
            IdTokenError::WrongNonce.into(),
            "server_error",
            "another sign-in",
        );
        says(
            IdTokenError::BadSignature.into(),
            "server_error",
            "could not be verified (the ID token's signature does not verify)",
        );
    }

    #[tokio::test]
    async fn a_discovery_document_naming_another_issuer_is_refused() {
        let stub = test_provider(Some("https://accounts.google.com")).await;
        let refused = provider(&stub.issuer).endpoints().await;
        assert!(
            matches!(refused, Err(ProviderError::BadMetadata(_))),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_reported_as_such() {
        let refused = provider("http://127.0.0.1:9").endpoints().await;
        assert!(
            matches!(refused, Err(ProviderError::Unreachable(_))),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn the_client_secret_goes_the_way_discovery_says() {
        for (methods, in_body) in [
            (json!(["client_secret_post"]), true),
            (json!(["client_secret_basic", "client_secret_post"]), false),
            (json!(null), false),
        ] {
            let extra = if methods.is_null() {
                json!({})
            } else {
                json!({ "token_endpoint_auth_methods_supported": methods })
            };
            let stub = test_provider_with(None, extra).await;
            let google = provider(&stub.issuer);
            let refused = google
                .exchange_code("code", "https://k.test/cb", "verifier")
                .await;
            assert_eq!(refused, Err(ProviderError::Refused("invalid_grant".into())));
            let form = stub.first_token_form();
            assert_eq!(
                form.get("client_secret").map(String::as_str),
                in_body.then_some("s3cret"),
                "{methods}"
            );
            assert_eq!(form.contains_key("client_id"), in_body, "{methods}");
        }
    }

    #[tokio::test]
    async fn apples_code_exchange_carries_a_client_secret_signed_with_the_key_file() {
        let stub = test_provider(None).await;
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("AuthKey.p8");
        std::fs::write(&key_file, pair.serialize_pem()).unwrap();
        let apple = Provider::new(
            "apple",
            ProviderConfig {
                issuer: stub.issuer.clone(),
                client_id: "app.keyhaven.signin".into(),
                client_secret: None,
                client_secret_key: Some(crate::social::client_secret::ClientSecretKey {
                    team_id: "TEAM123456".into(),
                    key_id: "ABC123DEFG".into(),
                    key_file,
                }),
                response_mode: ResponseMode::FormPost,
            },
        );
        let refused = apple
            .exchange_code("code", "https://k.test/cb", "verifier")
            .await;
        assert_eq!(refused, Err(ProviderError::Refused("invalid_grant".into())));
        let form = stub.first_token_form();
        assert_eq!(form["client_id"], "app.keyhaven.signin");
        let jwt: Vec<&str> = form["client_secret"].split('.').collect();
        use base64::Engine as _;
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt[2])
            .unwrap();
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            pair.public_key_raw(),
        );
        assert!(public
            .verify(format!("{}.{}", jwt[0], jwt[1]).as_bytes(), &signature)
            .is_ok());
    }

    #[test]
    fn provider_endpoints_must_be_https_beyond_this_computer() {
        assert!(check_endpoint("https://oauth2.googleapis.com/token").is_ok());
        assert!(check_endpoint("http://127.0.0.1:4000/token").is_ok());
        assert!(check_endpoint("http://oauth2.example.com/token").is_err());
        assert!(check_endpoint("ftp://127.0.0.1/token").is_err());
    }
}
