//! Budgets of issue #2, measured: unlock of 10,000 items without the KDF, the KDF at default
//! parameters beside the reference C `argon2` tool, search p99, and a durable add/update; and of
//! issue #14: a new device taking in the first pull of a 10,000-item vault (checked against the
//! sealed state, decrypted, stored, indexed), without the network.

use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BatchSize, Criterion};
use keyhaven_vault::crypto::{derive_master_key, KdfParams};
use keyhaven_vault::item::{ItemContent, ItemDraft, Login};
use keyhaven_vault::{Pull, RemoteVersion, Vault};

const ITEMS: usize = 10_000;
const PW: &[u8] = b"correct horse battery staple";
const WORDS: &[&str] = &[
    "mail", "bank", "shop", "cloud", "news", "forum", "game", "work", "travel", "health",
];

fn login(n: usize) -> ItemDraft {
    let word = WORDS[n % WORDS.len()];
    ItemDraft {
        title: format!("{word} account {n}"),
        content: ItemContent::Login(Login {
            username: format!("user{n}@example.com"),
            password: format!("pw-{n}-{}", "x".repeat(16)),
            urls: vec![format!("https://{word}{n}.example.com/login")],
            notes: "recovery codes in the safe".into(),
            ..Login::default()
        }),
        favourite: n.is_multiple_of(17),
        folder: Some(WORDS[(n / 10) % WORDS.len()].into()),
        tags: vec![WORDS[(n / 100) % WORDS.len()].into()],
    }
}

fn vault_with_items(dir: &Path) -> Vault {
    let path = dir.join("vault.sqlite");
    let mut vault = Vault::create(&path, PW, KdfParams::MINIMUM).expect("create");
    for n in 0..ITEMS {
        vault.add(login(n)).expect("add");
    }
    vault
}

fn unlock(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault_with_items(dir.path());
    let path = vault.path().to_path_buf();
    let master_key = vault.derive_master_key(PW).expect("kdf");
    drop(vault);
    let mut group = c.benchmark_group("unlock_10k");
    group.bench_function("open_file", |b| {
        b.iter(|| black_box(Vault::open(&path).expect("open")))
    });
    let mut vault = Vault::open(&path).expect("open");
    group.bench_function("unlock_without_kdf", |b| {
        b.iter_custom(|iterations| {
            let mut unlocking = Duration::ZERO;
            for _ in 0..iterations {
                vault.lock();
                let start = Instant::now();
                vault
                    .unlock_with_master_key(black_box(&master_key))
                    .expect("unlock");
                unlocking += start.elapsed();
            }
            unlocking
        })
    });
    group.bench_function("lock", |b| {
        b.iter_custom(|iterations| {
            let mut locking = Duration::ZERO;
            for _ in 0..iterations {
                vault.unlock_with_master_key(&master_key).expect("unlock");
                let start = Instant::now();
                vault.lock();
                locking += start.elapsed();
            }
            locking
        })
    });
    group.finish();
}

fn kdf(c: &mut Criterion) {
    let params = KdfParams::default();
    let salt = [7u8; 16];
    let mut group = c.benchmark_group("kdf_default_m64MiB_t3_p4");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("keyhaven_argon2id", |b| {
        b.iter(|| derive_master_key(black_box(PW), &salt, params).expect("kdf"))
    });
    let reference_available = Command::new("argon2")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if reference_available {
        group.bench_function("reference_c_argon2_cli", |b| {
            b.iter(|| {
                let mut child = Command::new("argon2")
                    .args([
                        "0707070707070707",
                        "-id",
                        "-t",
                        "3",
                        "-m",
                        "16",
                        "-p",
                        "4",
                        "-l",
                        "32",
                        "-r",
                    ])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("argon2 runs");
                std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), PW).expect("write");
                drop(child.stdin.take());
                assert!(child.wait().expect("argon2 exits").success());
            })
        });
    } else {
        eprintln!("the reference `argon2` tool is not installed (apt install argon2): skipping the comparison");
    }
    group.finish();
}

fn search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault_with_items(dir.path());
    let queries = [
        "bank",
        "user42",
        "EXAMPLE.COM/LOGIN",
        "travel account 99",
        "zzz-no-match",
        "s",
        "health 7",
    ];

    let mut samples = Vec::new();
    for round in 0..200 {
        for q in queries {
            let start = Instant::now();
            black_box(vault.search(q).expect("search"));
            if round > 10 {
                samples.push(start.elapsed());
            }
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    println!(
        "search over {ITEMS} items, {} queries: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1]
    );

    let mut group = c.benchmark_group("search_10k");
    for q in ["bank", "user42", "zzz-no-match"] {
        group.bench_function(q, |b| {
            b.iter(|| black_box(vault.search(black_box(q)).expect("search")))
        });
    }
    group.finish();
}

fn write(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut vault = vault_with_items(dir.path());
    let target = vault.list().expect("list")[0].id;
    let mut n = ITEMS;
    let mut group = c.benchmark_group("durable_write_10k");
    group.bench_function("add_one_item", |b| {
        b.iter_batched(
            || {
                n += 1;
                login(n)
            },
            |draft| vault.add(draft).expect("add"),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("update_one_item", |b| {
        b.iter_batched(
            || {
                n += 1;
                login(n)
            },
            |draft| vault.update(target, draft).expect("update"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// The first pull of a new device: everything a 10,000-item vault's pushes wrote, with the
/// sealed state of the last one, taken in by an empty vault built from the key material.
fn first_pull(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first =
        Vault::create(&dir.path().join("first.sqlite"), PW, KdfParams::MINIMUM).expect("create");
    first.link_account("bench").expect("link");
    let mut state = first.first_state("bench").expect("state");
    first.cloud_vault_created(&state).expect("created");
    for n in 0..ITEMS {
        first.add(login(n)).expect("add");
    }
    let (mut revision, mut items) = (0, Vec::with_capacity(ITEMS));
    while let Some(plan) = first.prepare_push(500, "bench").expect("plan") {
        revision += 1;
        items.extend(plan.changes.iter().map(|change| RemoteVersion {
            item_id: change.item_id,
            revision,
            version: Some(change.version),
            blob: Some(change.blob.clone()),
        }));
        state = plan.state.clone().expect("a sealed state");
        first.pushed(&plan, revision).expect("pushed");
    }
    let pull = Pull {
        revision,
        items,
        state: Some(state),
        key_material: Some(first.key_material()),
    };
    let material = first.key_material();
    let mut group = c.benchmark_group("first_pull_10k");
    group.sample_size(10);
    let mut n = 0;
    group.bench_function("receive_into_a_new_vault", |b| {
        b.iter_batched(
            || {
                n += 1;
                let mut vault = Vault::create_from_key_material(
                    &dir.path().join(format!("new-{n}.sqlite")),
                    PW,
                    &material,
                )
                .expect("join");
                vault.link_account("bench").expect("link");
                vault
            },
            |mut vault| black_box(vault.receive(&pull).expect("receive")),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Issue #19: the health report of 10,000 logins read from the index (facts stored at save), the
/// facts worked out for 10,000 items that arrived without them (an import, a first sync), and
/// the current one-time code of an item.
fn health_and_codes(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut vault = vault_with_items(dir.path());
    let mut group = c.benchmark_group("health_10k");
    group.bench_function("report_from_the_index", |b| {
        b.iter(|| black_box(vault.health_report().expect("report")))
    });
    group.sample_size(10);
    let imported_path = dir.path().join("imported.sqlite");
    let mut imported = Vault::create(&imported_path, PW, KdfParams::MINIMUM).expect("create");
    imported.unlock(PW).expect("unlock");
    imported
        .import_all(&vault.items().expect("items"))
        .expect("import");
    group.bench_function("facts_for_10k_items_without_them", |b| {
        b.iter_batched(
            || imported.health_work().expect("work"),
            |work| black_box(work.compute().expect("compute")),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let mut draft = login(1);
    if let ItemContent::Login(l) = &mut draft.content {
        l.totp_secret = Some(
            "otpauth://totp/Example:ada?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example"
                .into(),
        );
    }
    let id = vault.add(draft).expect("add").id;
    let mut group = c.benchmark_group("totp");
    group.bench_function("current_code_of_an_item", |b| {
        b.iter(|| black_box(vault.totp_code(black_box(id)).expect("code")))
    });
    group.finish();
}

criterion_group!(
    benches,
    unlock,
    kdf,
    search,
    write,
    first_pull,
    health_and_codes
);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
