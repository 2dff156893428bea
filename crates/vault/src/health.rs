//! Password health: which logins have a weak, reused, old or leaked password, or an insecure
//! (`http://`) website.
//!
//! What the report needs about each password is worked out when it is saved and kept in the
//! vault file, sealed: its zxcvbn score, when it last changed, and a reuse fingerprint, a keyed
//! hash (HMAC-SHA256 under a key derived from the vault key, never a plain hash) that tells two
//! equal passwords apart from different ones and nothing else. So a report reads the index and
//! never reruns zxcvbn over the vault; items that arrived without facts (an import, a sync) get
//! theirs once, in parallel ([`HealthWork`]).
//!
//! The leak check ([`LeakQuery`]) gives the caller the first five hex characters of each
//! password's SHA-1 to ask Have I Been Pwned's range API for, and the rest to compare locally;
//! the results are kept sealed beside the facts.

use std::collections::HashMap;

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use hmac::{Hmac, Mac};
use rayon::prelude::*;
use serde::Serialize;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::crypto::{derive_subkey, open_sealed, seal_with, VaultKey};
use crate::error::{Result, VaultError};
use crate::item::{Item, ItemContent};
use crate::search::ItemSummary;
use crate::version::ItemVersion;

/// zxcvbn scores below this are weak.
pub const WEAK_BELOW: u8 = 3;

/// A password not changed for longer than this (a year, in milliseconds) is old.
pub const OLD_AFTER_MS: i64 = 365 * 24 * 60 * 60 * 1000;

const FACTS_KEY_INFO: &[u8] = b"keyhaven/health/v1";
const FINGERPRINT_KEY_INFO: &[u8] = b"keyhaven/reuse-fingerprint/v1";
const FACTS_AAD: &[u8] = b"keyhaven/health/facts/v1";
const LEAKS_AAD: &[u8] = b"keyhaven/health/leaks/v1";
const NO_SCORE: u8 = u8::MAX;

/// Tells equal passwords from different ones under this vault's key; reveals nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 16]);

/// The keys of the health index, derived from the vault key: one seals the facts, one makes
/// fingerprints.
pub(crate) struct HealthKeys {
    cipher: Aes256Gcm,
    fingerprint: Hmac<Sha256>,
}

impl HealthKeys {
    pub(crate) fn of(vault_key: &VaultKey) -> Self {
        let seal = derive_subkey(&vault_key.key, FACTS_KEY_INFO);
        let fingerprint = derive_subkey(&vault_key.key, FINGERPRINT_KEY_INFO);
        Self {
            cipher: Aes256Gcm::new(seal.as_bytes().into()),
            fingerprint: Hmac::<Sha256>::new_from_slice(fingerprint.as_bytes())
                .expect("HMAC takes a key of any length"),
        }
    }

    pub(crate) fn fingerprint(&self, password: &str) -> Fingerprint {
        let mut mac = self.fingerprint.clone();
        mac.update(password.as_bytes());
        let full: [u8; 32] = mac.finalize().into_bytes().into();
        let mut short = [0u8; 16];
        short.copy_from_slice(&full[..16]);
        Fingerprint(short)
    }

    fn facts_aad(vault_id: Uuid, item_id: Uuid, version: ItemVersion) -> Vec<u8> {
        let mut aad = Vec::with_capacity(FACTS_AAD.len() + 32 + ItemVersion::LEN);
        aad.extend_from_slice(FACTS_AAD);
        aad.extend_from_slice(vault_id.as_bytes());
        aad.extend_from_slice(item_id.as_bytes());
        aad.extend_from_slice(&version.to_bytes());
        aad
    }

    /// Seals one item's facts, bound to the vault, the item and the version they describe.
    pub(crate) fn seal_facts(
        &self,
        vault_id: Uuid,
        item_id: Uuid,
        version: ItemVersion,
        facts: &PasswordFacts,
    ) -> Result<Vec<u8>> {
        seal_with(
            &self.cipher,
            &Self::facts_aad(vault_id, item_id, version),
            &facts.to_bytes(),
        )
    }

    pub(crate) fn open_facts(
        &self,
        vault_id: Uuid,
        item_id: Uuid,
        version: ItemVersion,
        sealed: &[u8],
    ) -> Result<PasswordFacts> {
        let plain = open_sealed(
            &self.cipher,
            &Self::facts_aad(vault_id, item_id, version),
            sealed,
        )?;
        PasswordFacts::from_bytes(&plain).ok_or(VaultError::Integrity)
    }

    pub(crate) fn seal_leaks(&self, vault_id: Uuid, leaks: &LeakResults) -> Result<Vec<u8>> {
        let mut aad = LEAKS_AAD.to_vec();
        aad.extend_from_slice(vault_id.as_bytes());
        seal_with(&self.cipher, &aad, &leaks.to_bytes())
    }

    pub(crate) fn open_leaks(&self, vault_id: Uuid, sealed: &[u8]) -> Result<LeakResults> {
        let mut aad = LEAKS_AAD.to_vec();
        aad.extend_from_slice(vault_id.as_bytes());
        let plain = open_sealed(&self.cipher, &aad, sealed)?;
        LeakResults::from_bytes(&plain).ok_or(VaultError::Integrity)
    }
}

/// What the index keeps about one item's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PasswordFacts {
    /// The zxcvbn score, 0–4; `None` for an item without a password.
    pub(crate) score: Option<u8>,
    pub(crate) fingerprint: Option<Fingerprint>,
    /// When the password last changed (the newest history entry, else the item's update time).
    pub(crate) changed_at: i64,
}

impl PasswordFacts {
    const LEN: usize = 1 + 16 + 8;

    /// Works out the facts of an item: zxcvbn, with the title and username as words an attacker
    /// may know.
    pub(crate) fn of(item: &Item, keys: &HealthKeys) -> Self {
        let changed_at = item
            .password_history
            .iter()
            .map(|entry| entry.replaced_at)
            .max()
            .unwrap_or(item.updated_at);
        match &item.content {
            ItemContent::Login(login) if !login.password.is_empty() => Self {
                score: Some(u8::from(
                    zxcvbn::zxcvbn(&login.password, &[&login.username, &item.title]).score(),
                )),
                fingerprint: Some(keys.fingerprint(&login.password)),
                changed_at,
            },
            _ => Self {
                score: None,
                fingerprint: None,
                changed_at,
            },
        }
    }

    fn to_bytes(self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(Self::LEN));
        out.push(self.score.unwrap_or(NO_SCORE));
        out.extend_from_slice(&self.fingerprint.map_or([0; 16], |f| f.0));
        out.extend_from_slice(&self.changed_at.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::LEN {
            return None;
        }
        let score = match bytes[0] {
            NO_SCORE => None,
            s @ 0..=4 => Some(s),
            _ => return None,
        };
        let fingerprint = score.map(|_| Fingerprint(bytes[1..17].try_into().unwrap_or_default()));
        let changed_at = i64::from_be_bytes(bytes[17..25].try_into().ok()?);
        Some(Self {
            score,
            fingerprint,
            changed_at,
        })
    }
}

/// Items whose facts are missing or describe an older version, decrypted, to work out apart
/// from the vault (zxcvbn takes a while; a caller can release the vault meanwhile).
pub struct HealthWork {
    pub(crate) vault_id: Uuid,
    pub(crate) keys: HealthKeys,
    pub(crate) stale: Vec<(ItemVersion, Item)>,
}

/// Facts worked out by [`HealthWork::compute`], sealed, for [`crate::Vault::store_health`].
pub struct ComputedHealth {
    pub(crate) rows: Vec<(Uuid, ItemVersion, Vec<u8>)>,
    pub(crate) facts: Vec<(Uuid, PasswordFacts)>,
}

impl HealthWork {
    /// How many items need their facts worked out.
    pub fn len(&self) -> usize {
        self.stale.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stale.is_empty()
    }

    /// Runs zxcvbn and the fingerprint over every stale item, on every core.
    pub fn compute(self) -> Result<ComputedHealth> {
        let done = self
            .stale
            .par_iter()
            .map(|(version, item)| {
                let facts = PasswordFacts::of(item, &self.keys);
                let sealed = self
                    .keys
                    .seal_facts(self.vault_id, item.id, *version, &facts)?;
                Ok(((item.id, *version, sealed), (item.id, facts)))
            })
            .collect::<Result<Vec<_>>>()?;
        let (rows, facts) = done.into_iter().unzip();
        Ok(ComputedHealth { rows, facts })
    }
}

/// The last leak check: when it ran, and how often each password checked was seen in breaches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LeakResults {
    pub(crate) checked_at: i64,
    pub(crate) seen: HashMap<Fingerprint, u64>,
}

impl LeakResults {
    fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(8 + self.seen.len() * 24));
        out.extend_from_slice(&self.checked_at.to_be_bytes());
        let mut entries: Vec<_> = self.seen.iter().collect();
        entries.sort();
        for (fingerprint, count) in entries {
            out.extend_from_slice(&fingerprint.0);
            out.extend_from_slice(&count.to_be_bytes());
        }
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (head, rest) = bytes.split_at_checked(8)?;
        if rest.len() % 24 != 0 {
            return None;
        }
        let seen = rest
            .chunks_exact(24)
            .map(|chunk| {
                let fingerprint = Fingerprint(chunk[..16].try_into().unwrap_or_default());
                let count = u64::from_be_bytes(chunk[16..].try_into().unwrap_or_default());
                (fingerprint, count)
            })
            .collect();
        Some(Self {
            checked_at: i64::from_be_bytes(head.try_into().ok()?),
            seen,
        })
    }
}

/// One distinct password to check against Have I Been Pwned's range API: only `prefix` (the
/// first five hex characters of its SHA-1) may leave the device; `suffix` is compared locally.
pub struct LeakQuery {
    pub fingerprint: Fingerprint,
    pub prefix: String,
    pub suffix: Zeroizing<String>,
}

impl LeakQuery {
    pub(crate) fn of(password: &str, fingerprint: Fingerprint) -> Self {
        let digest = Sha1::digest(password.as_bytes());
        let hex = Zeroizing::new(hex::encode_upper(digest));
        Self {
            fingerprint,
            prefix: hex[..5].to_string(),
            suffix: Zeroizing::new(hex[5..].to_string()),
        }
    }
}

/// An item as a health list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HealthItem {
    pub id: Uuid,
    pub title: String,
    pub subtitle: String,
}

/// A login whose password is easy to guess.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WeakPassword {
    pub item: HealthItem,
    /// The zxcvbn score, 0–2.
    pub score: u8,
}

/// Logins that share one password.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReusedPassword {
    pub items: Vec<HealthItem>,
}

/// A login whose password has not changed for over a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OldPassword {
    pub item: HealthItem,
    /// Milliseconds since the Unix epoch.
    pub changed_at: i64,
}

/// A login with an `http://` website.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InsecureWebsite {
    pub item: HealthItem,
    pub url: String,
}

/// A login whose password Have I Been Pwned has seen in breaches.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeakedPassword {
    pub item: HealthItem,
    /// How many times the password appears in known breaches.
    pub seen: u64,
}

/// How many logins each finding has, for a summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HealthCounts {
    pub weak: u32,
    /// Logins whose password another login also has.
    pub reused: u32,
    pub old: u32,
    pub insecure: u32,
    pub leaked: u32,
}

/// The password-health report of the whole vault.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HealthReport {
    pub counts: HealthCounts,
    pub weak: Vec<WeakPassword>,
    /// Groups of logins sharing a password, largest first.
    pub reused: Vec<ReusedPassword>,
    pub old: Vec<OldPassword>,
    pub insecure: Vec<InsecureWebsite>,
    /// From the last leak check; empty when none ran.
    pub leaked: Vec<LeakedPassword>,
    /// When the last leak check ran (milliseconds since the Unix epoch), if one did.
    pub leaks_checked_at: Option<i64>,
    /// Passwords changed or added since the last leak check.
    pub leaks_unchecked: u32,
}

fn health_item(summary: &ItemSummary) -> HealthItem {
    HealthItem {
        id: summary.id,
        title: summary.title.clone(),
        subtitle: summary.subtitle.clone(),
    }
}

/// Whether a website address is plain `http://` (any case).
fn is_insecure(url: &str) -> bool {
    url.trim_start()
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Builds the report from the summaries (title order) and each item's facts.
pub(crate) fn report<'a>(
    summaries: impl Iterator<Item = &'a ItemSummary>,
    facts: &HashMap<Uuid, PasswordFacts>,
    leaks: Option<&LeakResults>,
    now: i64,
) -> HealthReport {
    let mut weak = Vec::new();
    let mut old = Vec::new();
    let mut insecure = Vec::new();
    let mut leaked = Vec::new();
    let mut leaks_unchecked = 0usize;
    // (fingerprint, position in title order, summary): sorted, equal passwords are neighbours.
    let mut prints: Vec<(Fingerprint, usize, &ItemSummary)> = Vec::new();
    for summary in summaries {
        if let Some(url) = summary.urls.iter().find(|url| is_insecure(url)) {
            insecure.push(InsecureWebsite {
                item: health_item(summary),
                url: url.clone(),
            });
        }
        let Some(facts) = facts.get(&summary.id) else {
            continue;
        };
        let (Some(score), Some(fingerprint)) = (facts.score, facts.fingerprint) else {
            continue;
        };
        if score < WEAK_BELOW {
            weak.push(WeakPassword {
                item: health_item(summary),
                score,
            });
        }
        if now.saturating_sub(facts.changed_at) > OLD_AFTER_MS {
            old.push(OldPassword {
                item: health_item(summary),
                changed_at: facts.changed_at,
            });
        }
        match leaks.map(|l| l.seen.get(&fingerprint)) {
            Some(Some(&seen)) if seen > 0 => leaked.push(LeakedPassword {
                item: health_item(summary),
                seen,
            }),
            Some(Some(_)) => {}
            _ => leaks_unchecked += 1,
        }
        prints.push((fingerprint, prints.len(), summary));
    }
    prints.sort_unstable_by_key(|&(fingerprint, order, _)| (fingerprint, order));
    let mut reused: Vec<ReusedPassword> = prints
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|group| group.len() > 1)
        .map(|group| ReusedPassword {
            items: group.iter().map(|(_, _, s)| health_item(s)).collect(),
        })
        .collect();
    reused.sort_by(|a, b| {
        b.items
            .len()
            .cmp(&a.items.len())
            .then_with(|| a.items[0].title.cmp(&b.items[0].title))
    });
    leaked.sort_by_key(|l| std::cmp::Reverse(l.seen));
    HealthReport {
        counts: HealthCounts {
            weak: count(weak.len()),
            reused: count(reused.iter().map(|g| g.items.len()).sum()),
            old: count(old.len()),
            insecure: count(insecure.len()),
            leaked: count(leaked.len()),
        },
        weak,
        reused,
        old,
        insecure,
        leaked,
        leaks_checked_at: leaks.map(|l| l.checked_at),
        leaks_unchecked: count(leaks_unchecked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Key32;

    fn keys(byte: u8) -> HealthKeys {
        HealthKeys::of(&VaultKey::from_key(Key32::from_bytes([byte; 32])))
    }

    #[test]
    fn fingerprints_are_keyed_by_the_vault_and_tell_equal_passwords_only() {
        let a = keys(1);
        assert_eq!(a.fingerprint("hunter2"), a.fingerprint("hunter2"));
        assert_ne!(a.fingerprint("hunter2"), a.fingerprint("hunter3"));
        assert_ne!(a.fingerprint("hunter2"), keys(2).fingerprint("hunter2"));
        let plain: [u8; 20] = Sha1::digest(b"hunter2").into();
        assert_ne!(&a.fingerprint("hunter2").0[..], &plain[..16]);
    }

    #[test]
    fn sealed_facts_open_only_for_their_item_and_version() {
        let keys = keys(1);
        let (vault, item) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let version = ItemVersion::next(None, Uuid::from_u128(3));
        let facts = PasswordFacts {
            score: Some(2),
            fingerprint: Some(keys.fingerprint("x")),
            changed_at: 42,
        };
        let sealed = keys.seal_facts(vault, item, version, &facts).unwrap();
        assert_eq!(
            keys.open_facts(vault, item, version, &sealed).unwrap(),
            facts
        );
        assert!(keys
            .open_facts(vault, Uuid::from_u128(9), version, &sealed)
            .is_err());
        let newer = ItemVersion::next(Some(version), version.writer);
        assert!(keys.open_facts(vault, item, newer, &sealed).is_err());
    }

    #[test]
    fn leak_results_round_trip() {
        let keys = keys(1);
        let mut leaks = LeakResults {
            checked_at: 7,
            ..LeakResults::default()
        };
        leaks.seen.insert(keys.fingerprint("a"), 3);
        leaks.seen.insert(keys.fingerprint("b"), 0);
        let sealed = keys.seal_leaks(Uuid::nil(), &leaks).unwrap();
        assert_eq!(keys.open_leaks(Uuid::nil(), &sealed).unwrap(), leaks);
    }

    #[test]
    fn a_leak_query_sends_five_hex_characters_of_the_sha1() {
        // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
        let query = LeakQuery::of("password", keys(1).fingerprint("password"));
        assert_eq!(query.prefix, "5BAA6");
        assert_eq!(query.suffix.as_str(), "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
    }
}
