//! The password generator (OS CSPRNG, uniform over valid passwords) and zxcvbn strength estimates.

use rand::rngs::OsRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};

const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const SYMBOLS: &str = "!@#$%^&*()-_=+[]{};:,.<>/?~";
const LOOKALIKES: &str = "Il1O0o|";
const MAX_ATTEMPTS: usize = 10_000;

/// The shortest password the generator makes.
pub const MIN_LENGTH: usize = 8;
/// The longest password the generator makes.
pub const MAX_LENGTH: usize = 128;

/// What kind of password to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct GeneratorOptions {
    pub length: usize,
    pub lowercase: bool,
    pub uppercase: bool,
    pub digits: bool,
    pub symbols: bool,
    pub exclude_lookalikes: bool,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        Self {
            length: 20,
            lowercase: true,
            uppercase: true,
            digits: true,
            symbols: true,
            exclude_lookalikes: false,
        }
    }
}

/// Generates a password with at least one character of each chosen class.
///
/// Draws uniformly from the union of the classes and rejects draws that miss a class, so every
/// valid password is equally likely.
pub fn generate(options: &GeneratorOptions) -> Result<Zeroizing<String>> {
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&options.length) {
        return Err(VaultError::InvalidGeneratorOptions(format!(
            "length must be between {MIN_LENGTH} and {MAX_LENGTH}, not {}",
            options.length
        )));
    }
    let classes: Vec<Vec<char>> = [
        (options.lowercase, LOWERCASE),
        (options.uppercase, UPPERCASE),
        (options.digits, DIGITS),
        (options.symbols, SYMBOLS),
    ]
    .into_iter()
    .filter(|(chosen, _)| *chosen)
    .map(|(_, set)| {
        set.chars()
            .filter(|c| !(options.exclude_lookalikes && LOOKALIKES.contains(*c)))
            .collect()
    })
    .collect();
    if classes.is_empty() {
        return Err(VaultError::InvalidGeneratorOptions(
            "choose at least one character class".into(),
        ));
    }
    let alphabet: Vec<char> = classes.iter().flatten().copied().collect();
    let mut rng = OsRng;
    for _ in 0..MAX_ATTEMPTS {
        let mut candidate = Zeroizing::new(String::with_capacity(options.length));
        for _ in 0..options.length {
            candidate.push(alphabet[rng.gen_range(0..alphabet.len())]);
        }
        if classes
            .iter()
            .all(|class| candidate.chars().any(|c| class.contains(&c)))
        {
            return Ok(candidate);
        }
    }
    Err(VaultError::Random)
}

/// How hard a password is to guess, from zxcvbn.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Strength {
    /// 0 (too guessable) to 4 (very unguessable).
    pub score: u8,
    pub guesses_log10: f64,
    /// Offline fast-hash crack time, in words.
    pub crack_time: String,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

/// Estimates a password's strength; `user_inputs` are words the attacker may know (email, name).
pub fn strength(password: &str, user_inputs: &[&str]) -> Strength {
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    let feedback = estimate.feedback();
    Strength {
        score: u8::from(estimate.score()),
        guesses_log10: estimate.guesses_log10(),
        crack_time: estimate
            .crack_times()
            .offline_slow_hashing_1e4_per_second()
            .to_string(),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
    }
}

/// The lowest zxcvbn score accepted for a new master password.
pub const MIN_MASTER_PASSWORD_SCORE: u8 = 3;

/// Refuses a new master password that zxcvbn rates below [`MIN_MASTER_PASSWORD_SCORE`].
pub fn check_master_password(password: &str, user_inputs: &[&str]) -> Result<Strength> {
    let estimate = strength(password, user_inputs);
    if estimate.score < MIN_MASTER_PASSWORD_SCORE {
        let hint = estimate
            .warning
            .clone()
            .or_else(|| estimate.suggestions.first().cloned());
        let hint =
            hint.unwrap_or_else(|| "use a longer passphrase of several unrelated words".into());
        return Err(VaultError::WeakMasterPassword(hint));
    }
    Ok(estimate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_passwords_have_the_length_and_every_chosen_class(
            length in MIN_LENGTH..=MAX_LENGTH,
            lowercase in any::<bool>(), uppercase in any::<bool>(), digits in any::<bool>(), symbols in any::<bool>(),
            exclude_lookalikes in any::<bool>(),
        ) {
            prop_assume!(lowercase || uppercase || digits || symbols);
            let options = GeneratorOptions { length, lowercase, uppercase, digits, symbols, exclude_lookalikes };
            let password = generate(&options).unwrap();
            prop_assert_eq!(password.chars().count(), length);
            prop_assert_eq!(password.chars().any(|c| c.is_ascii_lowercase()), lowercase);
            prop_assert_eq!(password.chars().any(|c| c.is_ascii_uppercase()), uppercase);
            prop_assert_eq!(password.chars().any(|c| c.is_ascii_digit()), digits);
            prop_assert_eq!(password.chars().any(|c| SYMBOLS.contains(c)), symbols);
            if exclude_lookalikes {
                prop_assert!(!password.chars().any(|c| LOOKALIKES.contains(c)));
            }
        }
    }

    #[test]
    fn out_of_range_lengths_and_no_classes_are_refused() {
        for length in [0, 7, 129] {
            let err = generate(&GeneratorOptions {
                length,
                ..GeneratorOptions::default()
            })
            .unwrap_err();
            assert_eq!(err.code(), "invalid_generator_options");
        }
        let none = GeneratorOptions {
            lowercase: false,
            uppercase: false,
            digits: false,
            symbols: false,
            ..Default::default()
        };
        assert_eq!(
            generate(&none).unwrap_err().code(),
            "invalid_generator_options"
        );
    }

    #[test]
    fn two_passwords_differ() {
        let options = GeneratorOptions::default();
        assert_ne!(*generate(&options).unwrap(), *generate(&options).unwrap());
    }

    #[test]
    fn strength_ranks_a_common_password_below_a_generated_one() {
        assert_eq!(strength("password1", &[]).score, 0);
        let generated = generate(&GeneratorOptions::default()).unwrap();
        assert_eq!(strength(&generated, &[]).score, 4);
        assert!(
            strength(
                "ada.lovelace",
                &["ada.lovelace@example.com", "ada", "lovelace"]
            )
            .score
                <= 2
        );
    }

    #[test]
    fn guessable_master_passwords_are_refused() {
        assert_eq!(
            check_master_password("letmein123", &[]).unwrap_err().code(),
            "weak_master_password"
        );
        assert!(check_master_password("correct horse battery staple", &[]).is_ok());
    }
}
