//! Locks the vault when the computer goes to sleep or its screen locks, as reported on D-Bus:
//! logind's `PrepareForSleep` and session `Lock` (system bus), and the screen savers'
//! `ActiveChanged` (session bus). Any of these only ever locks, so a spoofed signal costs nothing.

use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// The signals that mean "lock now", each `(interface, member, bus)` with the boolean
/// argument that must be true (`None`: no argument).
const RULES: &[(&str, &str, Bus)] = &[
    (
        "org.freedesktop.login1.Manager",
        "PrepareForSleep",
        Bus::System,
    ),
    ("org.freedesktop.login1.Session", "Lock", Bus::System),
    ("org.freedesktop.ScreenSaver", "ActiveChanged", Bus::Session),
    ("org.gnome.ScreenSaver", "ActiveChanged", Bus::Session),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bus {
    System,
    Session,
}

/// Starts one listener thread per bus; a bus that is not there (containers, CI) is skipped.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    for bus in [Bus::System, Bus::Session] {
        let app = app.clone();
        let spawned = std::thread::Builder::new()
            .name("sleep-lock".into())
            .spawn(move || {
                if let Err(err) = listen(&app, bus) {
                    eprintln!("keyhaven: not locking on sleep/screen lock via this bus: {err}");
                }
            });
        if let Err(err) = spawned {
            eprintln!("keyhaven: {err}");
        }
    }
}

fn listen<R: Runtime>(app: &AppHandle<R>, bus: Bus) -> zbus::Result<()> {
    let connection = match bus {
        Bus::System => zbus::blocking::Connection::system()?,
        Bus::Session => zbus::blocking::Connection::session()?,
    };
    let proxy = zbus::blocking::fdo::DBusProxy::new(&connection)?;
    for (interface, member, rule_bus) in RULES {
        if *rule_bus == bus {
            let rule = zbus::MatchRule::builder()
                .msg_type(zbus::message::Type::Signal)
                .interface(*interface)?
                .member(*member)?
                .build();
            proxy.add_match_rule(rule)?;
        }
    }
    for message in zbus::blocking::MessageIterator::from(&connection) {
        let message = message?;
        let header = message.header();
        let (Some(interface), Some(member)) = (header.interface(), header.member()) else {
            continue;
        };
        let wanted = RULES
            .iter()
            .any(|(i, m, b)| *b == bus && interface.as_str() == *i && member.as_str() == *m);
        if !wanted {
            continue;
        }
        let starts =
            member.as_str() == "Lock" || message.body().deserialize::<bool>().unwrap_or(false);
        let state = app.state::<AppState>();
        if starts && state.settings().lock_on_sleep {
            state.lock();
        }
    }
    Ok(())
}
