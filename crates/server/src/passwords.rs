//! Account password hashes: Argon2id with the service's own parameters, stored in PHC form, run
//! by a bounded pool ([`Hasher`]).

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use keyhaven_protocol::error::ErrorCode;

use crate::config::PasswordConfig;
use crate::error::{ApiError, ApiResult};

const HASH_LEN: usize = 32;

/// Hashes a password as `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, in `memory`.
pub fn hash(
    password: &str,
    config: &PasswordConfig,
    memory: &mut Vec<Block>,
) -> Result<String, argon2::Error> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let digest = derive(
        password,
        &salt,
        (config.memory_kib, config.iterations, config.parallelism),
        memory,
    )?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        config.memory_kib,
        config.iterations,
        config.parallelism,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(digest.as_ref()),
    ))
}

/// Whether `password` matches `stored`; a malformed hash never matches.
pub fn verify(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Some((m, t, p, salt, expected)) = parse(stored) else {
        return false;
    };
    match derive(password, &salt, (m, t, p), memory) {
        Ok(digest) => digest.as_ref().ct_eq(&expected).into(),
        Err(_) => false,
    }
}

/// Spends the same work as [`verify`] so that an unknown email answers as slowly as a wrong
/// password.
pub fn verify_nothing(password: &str, config: &PasswordConfig, memory: &mut Vec<Block>) {
    let cost = (config.memory_kib, config.iterations, config.parallelism);
    let _ = derive(password, &[0u8; 16], cost, memory);
}

/// The most memory one hash may take (a stored hash names its own cost).
const MAX_MEMORY_KIB: u32 = 1024 * 1024;

fn derive(
    password: &str,
    salt: &[u8],
    (m, t, p): (u32, u32, u32),
    memory: &mut Vec<Block>,
) -> Result<Zeroizing<[u8; HASH_LEN]>, argon2::Error> {
    if m > MAX_MEMORY_KIB {
        return Err(argon2::Error::MemoryTooMuch);
    }
    let params = Params::new(m, t, p, Some(HASH_LEN))?;
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    let hashed = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            out.as_mut(),
            &mut memory[..blocks],
        );
    // The blocks derive from the password: none of them waits in memory for the next hash.
    memory[..blocks].fill(Block::default());
    hashed?;
    Ok(out)
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The service's password hashing: a fixed set of worker threads, each reusing its own Argon2
/// memory, behind a short bounded queue. At most `workers` hashes run at once and at most
/// `queue` wait; a request beyond that gets 503 `service_busy` with `Retry-After` at once, so
/// memory stays near `workers × memory_kib` whatever the load.
pub struct Hasher {
    config: PasswordConfig,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl Hasher {
    /// Starts the workers (`config.max_concurrent_hashes`, 0 meaning one per core).
    pub fn new(config: PasswordConfig) -> Self {
        let workers = match config.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(config.max_queued_hashes);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for index in 0..workers {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "a password hashing thread could not start");
            }
        }
        Self { config, jobs }
    }

    /// The cost and rules of account passwords.
    pub fn config(&self) -> &PasswordConfig {
        &self.config
    }

    /// Hashes a new account password.
    pub async fn hash(&self, password: &str) -> ApiResult<String> {
        let password = Zeroizing::new(password.to_owned());
        let config = self.config;
        self.run(move |memory| hash(&password, &config, memory))
            .await?
            .map_err(ApiError::internal)
    }

    /// Whether `password` matches `stored`; with no stored hash it spends the same work
    /// ([`verify_nothing`]) and answers false.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> ApiResult<bool> {
        let password = Zeroizing::new(password.to_owned());
        let config = self.config;
        self.run(move |memory| match stored {
            Some(stored) => verify(&password, &stored, memory),
            None => {
                verify_nothing(&password, &config, memory);
                false
            }
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // A request that went away (client gone) costs no hash.
            if !done.is_closed() {
                let _ = done.send(work(memory));
            }
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(_)) => return Err(busy()),
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                return Err(ApiError::internal("the password hashing threads stopped"))
            }
        }
        answer
            .await
            .map_err(|_| ApiError::internal("a password hashing thread failed"))
    }
}

fn busy() -> ApiError {
    tracing::warn!("password hashing queue full; request refused with 503");
    ApiError::retry_after(
        ErrorCode::ServiceBusy,
        "The service is busy; nothing was changed. Try again in a moment.",
        1,
    )
}

type Parsed = (u32, u32, u32, Vec<u8>, Vec<u8>);

fn parse(stored: &str) -> Option<Parsed> {
    let mut parts = stored.strip_prefix("$argon2id$v=19$")?.split('$');
    let params = parts.next()?;
    let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
    let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for pair in params.split(',') {
        let (key, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match key {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => return None,
        }
    }
    Some((m?, t?, p?, salt, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordConfig {
        PasswordConfig {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            ..PasswordConfig::default()
        }
    }

    #[test]
    fn right_password_verifies_and_wrong_one_does_not() {
        let memory = &mut Vec::new();
        let stored = hash("correct horse battery", &cheap(), memory).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify("correct horse battery", &stored, memory));
        assert!(!verify("correct horse batterY", &stored, memory));
        assert!(!stored.contains("horse"));
    }

    #[test]
    fn same_password_hashes_differently_each_time() {
        let memory = &mut Vec::new();
        assert_ne!(
            hash("password1234", &cheap(), memory).unwrap(),
            hash("password1234", &cheap(), memory).unwrap()
        );
    }

    #[test]
    fn malformed_hashes_never_match() {
        for stored in [
            "",
            "$argon2id$v=19$m=64$AAAA$AAAA",
            "$bcrypt$xyz",
            "$argon2id$v=19$m=x,t=1,p=1$A$A",
            "$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        ] {
            assert!(!verify("anything", stored, &mut Vec::new()));
        }
    }
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_workers_and_the_queue_requests_are_refused_at_once() {
        let config = PasswordConfig {
            memory_kib: 8 * 1024,
            iterations: 4,
            parallelism: 1,
            max_concurrent_hashes: 1,
            max_queued_hashes: 2,
            ..PasswordConfig::default()
        };
        let hasher = std::sync::Arc::new(Hasher::new(config));
        let stored = hasher.hash("correct horse battery").await.unwrap();
        let attempts: Vec<_> = (0..12)
            .map(|_| {
                let hasher = hasher.clone();
                let stored = stored.clone();
                tokio::spawn(
                    async move { hasher.verify("correct horse battery", Some(stored)).await },
                )
            })
            .collect();
        let mut matched = 0;
        let mut busy = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(true) => matched += 1,
                Err(error) if error.code == ErrorCode::ServiceBusy => {
                    assert_eq!(error.retry_after_seconds, Some(1));
                    busy += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!((1..=3).contains(&matched), "{matched} ran");
        assert_eq!(matched + busy, 12);
        assert!(hasher
            .verify("correct horse battery", Some(stored))
            .await
            .unwrap());
    }
}
