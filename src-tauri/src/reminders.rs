//! Reminders to connect a local vault to Keyhaven Account: after 1 day, 3 days and 7 days, then
//! every 30 days (each gap counted from the previous reminder, so a person who was away is
//! reminded once, not several times in a row). The schedule lives in `reminders.json` beside
//! the vault and survives restarts; nothing is reminded once the device is signed in.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use keyhaven_client::session::write_private;
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The gaps before each reminder; the last one repeats.
const GAPS_DAYS: [i64; 4] = [1, 2, 4, 30];

/// Names a file holding a number of seconds added to the clock the reminders read, so that the
/// end-to-end tests can fast-forward days. It moves nothing but the reminders.
pub const CLOCK_OFFSET_FILE_ENV: &str = "KEYHAVEN_REMINDER_CLOCK_OFFSET_FILE";

/// The persisted schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Schedule {
    /// Unix ms when this computer started without an account (first seen).
    started_at: i64,
    /// How many reminders were answered so far.
    answered: u32,
    /// Unix ms of the last answered reminder.
    last_answered_at: Option<i64>,
}

impl Schedule {
    fn next_due(&self) -> i64 {
        let gap = GAPS_DAYS[(self.answered as usize).min(GAPS_DAYS.len() - 1)];
        self.last_answered_at.unwrap_or(self.started_at) + gap * DAY_MS
    }
}

/// Where the time comes from: the system clock, optionally moved by the offset file.
pub type Clock = Box<dyn Fn() -> i64 + Send + Sync>;

/// The system clock plus the seconds in `$KEYHAVEN_REMINDER_CLOCK_OFFSET_FILE`, if set.
pub fn system_clock() -> Clock {
    let offset_file = std::env::var_os(CLOCK_OFFSET_FILE_ENV).map(PathBuf::from);
    Box::new(move || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let offset_seconds = offset_file
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|text| text.trim().parse::<i64>().ok())
            .unwrap_or(0);
        now.saturating_add(offset_seconds.saturating_mul(1000))
    })
}

/// The reminder schedule of one vault.
pub struct Reminders {
    path: PathBuf,
    clock: Clock,
    lock: Mutex<()>,
}

impl Reminders {
    /// The schedule kept in `reminders.json` beside `vault_path`.
    pub fn new(vault_path: &Path, clock: Clock) -> Self {
        Self {
            path: keyhaven_client::account::DataDir::for_vault(vault_path).reminders(),
            clock,
            lock: Mutex::new(()),
        }
    }

    /// Whether a reminder is due now. The first call starts the schedule.
    pub fn due(&self, signed_in: bool) -> bool {
        if signed_in {
            return false;
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let now = (self.clock)();
        let schedule = self.load().unwrap_or_else(|| {
            let started = Schedule {
                started_at: now,
                ..Schedule::default()
            };
            self.save(&started);
            started
        });
        now >= schedule.next_due()
    }

    /// The person answered the reminder (*Later*, *Connect* or *Create account*): the next one
    /// comes after the next gap.
    pub fn answered(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let now = (self.clock)();
        let mut schedule = self.load().unwrap_or(Schedule {
            started_at: now,
            ..Schedule::default()
        });
        schedule.answered = schedule.answered.saturating_add(1);
        schedule.last_answered_at = Some(now);
        self.save(&schedule);
    }

    fn load(&self) -> Option<Schedule> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        match serde_json::from_str(&text) {
            Ok(schedule) => Some(schedule),
            Err(err) => {
                // A damaged schedule starts again: at worst one reminder comes early.
                eprintln!(
                    "keyhaven: {} is damaged ({err}); the reminders start again",
                    self.path.display()
                );
                None
            }
        }
    }

    fn save(&self, schedule: &Schedule) {
        let saved = serde_json::to_vec(schedule)
            .map_err(std::io::Error::other)
            .and_then(|json| write_private(&self.path, &json));
        if let Err(err) = saved {
            eprintln!("keyhaven: cannot save {}: {err}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use super::*;

    const START: i64 = 1_800_000_000_000;

    fn at(dir: &Path, now: &Arc<AtomicI64>) -> Reminders {
        let now = now.clone();
        Reminders::new(
            &dir.join("vault.sqlite"),
            Box::new(move || now.load(Ordering::SeqCst)),
        )
    }

    #[test]
    fn reminders_come_after_1_3_and_7_days_then_every_30_and_survive_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START));
        let set_day =
            |days: f64| now.store(START + (days * DAY_MS as f64) as i64, Ordering::SeqCst);
        assert!(!at(dir.path(), &now).due(false), "never on the first day");
        let mut shown = Vec::new();
        for tenth in 1..=700 {
            let day = f64::from(tenth) / 10.0;
            set_day(day);
            // A new `Reminders` each time: the schedule comes from the file, as after a restart.
            let reminders = at(dir.path(), &now);
            if reminders.due(false) {
                shown.push(day);
                reminders.answered();
            }
        }
        assert_eq!(shown, [1.0, 3.0, 7.0, 37.0, 67.0]);
    }

    #[test]
    fn someone_away_for_weeks_is_reminded_once_then_the_schedule_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START));
        let reminders = at(dir.path(), &now);
        assert!(!reminders.due(false));
        now.store(START + 20 * DAY_MS, Ordering::SeqCst);
        assert!(reminders.due(false));
        reminders.answered();
        assert!(!reminders.due(false), "not again right away");
        now.store(START + 22 * DAY_MS, Ordering::SeqCst);
        assert!(reminders.due(false), "the second gap (2 days) follows");
    }

    #[test]
    fn nothing_is_reminded_once_signed_in() {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START));
        let reminders = at(dir.path(), &now);
        reminders.due(false);
        now.store(START + 100 * DAY_MS, Ordering::SeqCst);
        assert!(!reminders.due(true));
        assert!(reminders.due(false));
    }

    #[test]
    fn the_schedule_file_is_private_and_a_damaged_one_starts_again() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(START));
        at(dir.path(), &now).due(false);
        let file = dir.path().join("reminders.json");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&file, "{not json").unwrap();
        now.store(START + 5 * DAY_MS, Ordering::SeqCst);
        assert!(
            !at(dir.path(), &now).due(false),
            "a new schedule starts now"
        );
    }
}
