//! Creates a vault with many logins, for measuring the app on a large vault
//! (`scripts/measure-budgets.mjs`): `seed_vault <vault file> <count>`, master password on stdin.

use std::io::BufRead;

use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{ItemContent, ItemDraft, Login};
use keyhaven_vault::Vault;

const WORDS: &[&str] = &[
    "github", "gitlab", "bank", "mail", "shop", "cloud", "forum", "news", "music", "video",
    "travel", "office", "school", "health", "energy", "phone", "router", "games", "photos", "wiki",
];

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(count)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: seed_vault <vault file> <count>  (master password on stdin)");
    };
    let count: usize = count.parse()?;
    let mut master = String::new();
    std::io::stdin().lock().read_line(&mut master)?;
    let master = master.trim_end_matches(['\r', '\n']);
    let mut vault = Vault::create(path.as_ref(), master.as_bytes(), KdfParams::default())?;
    for n in 0..count {
        let word = WORDS[n % WORDS.len()];
        vault.add(ItemDraft {
            title: format!("{word} account {n}"),
            content: ItemContent::Login(Login {
                username: format!("user{n}@example.com"),
                password: format!("pw-{n}-seeded-password"),
                urls: vec![format!("https://{word}{n}.example.com/login")],
                ..Login::default()
            }),
            favourite: n % 17 == 0,
            folder: Some(WORDS[(n / 10) % WORDS.len()].into()),
            tags: vec![],
        })?;
    }
    println!("{count} items in {path}");
    Ok(())
}
