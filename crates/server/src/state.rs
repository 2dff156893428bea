//! What every request handler shares: the database, the configuration, the SMS provider, the
//! clock, the code secret and the revision announcements.

use std::ops::Deref;
use std::sync::Arc;

use sqlx::AnyPool;
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::config::Config;
use crate::secrets::ServerSecret;
use crate::sms::SmsProvider;

/// A vault revision that moved, announced to the account's other devices.
#[derive(Debug, Clone)]
pub struct VaultEvent {
    pub account_id: String,
    pub device_id: String,
    pub revision: i64,
}

/// Cheap to clone; handlers receive it through axum's `State`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The shared parts behind [`AppState`].
pub struct Shared {
    pub db: AnyPool,
    pub config: Config,
    pub sms: Box<dyn SmsProvider>,
    pub clock: Clock,
    pub secret: ServerSecret,
    /// Account password hashing, bounded in concurrency and queue.
    pub hasher: crate::passwords::Hasher,
    pub events: broadcast::Sender<VaultEvent>,
    /// The configured social sign-in providers by name.
    pub providers: std::collections::BTreeMap<String, crate::social::provider::Provider>,
}

impl AppState {
    /// Bundles the parts.
    pub fn new(
        db: AnyPool,
        config: Config,
        sms: Box<dyn SmsProvider>,
        clock: Clock,
        secret: ServerSecret,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        let providers = config
            .social
            .providers
            .iter()
            .map(|(name, provider)| {
                (
                    name.clone(),
                    crate::social::provider::Provider::new(name, provider.clone()),
                )
            })
            .collect();
        let hasher = crate::passwords::Hasher::new(config.passwords);
        Self(Arc::new(Shared {
            hasher,
            db,
            config,
            sms,
            clock,
            secret,
            events,
            providers,
        }))
    }

    /// Now, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
