import { commands, events, type AccountView, type SyncStatus } from "./bindings";

/** The account and sync status, kept current from Rust's `account-changed` events. Listens
 * first and asks second, and drops the answer if an event came meanwhile (it is newer), so
 * no change is missed and none is overwritten by an older answer. */
export function followAccount(onChange: (view: AccountView) => void): () => void {
  let stopped = false;
  let eventsSeen = 0;
  const unlisten = events.accountChanged
    .listen((event) => {
      eventsSeen += 1;
      if (!stopped) onChange(event.payload);
    })
    .catch(() => null);
  unlisten.then(() => {
    const seen = eventsSeen;
    commands
      .accountStatus()
      .then((view) => {
        if (!stopped && eventsSeen === seen) onChange(view);
      })
      .catch(() => {});
  });
  return () => {
    stopped = true;
    unlisten.then((stop) => stop?.()).catch(() => {});
  };
}

/** "just now", "5 min ago", "at 14:02" (today) or a date: when something happened. */
export function syncedWhen(ms: number, now = Date.now()): string {
  const seconds = Math.max(0, (now - ms) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  const then = new Date(ms);
  if (then.toDateString() !== new Date(now).toDateString()) {
    return `on ${then.toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" })}`;
  }
  return `at ${then.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
}

/** "Last changed 5 min ago on “ada on laptop”": from the vault's sealed state. */
export function lastChangeLine(change: { at: number; device_name: string }, now = Date.now()): string {
  return `Last changed ${syncedWhen(change.at, now)} on “${change.device_name}”`;
}

/** The status line: what a person needs to know about syncing right now (short: it sits in the header). */
export function syncLine(sync: SyncStatus, now = Date.now()): string {
  const when = sync.last_synced_at !== null ? syncedWhen(sync.last_synced_at, now) : null;
  switch (sync.state) {
    case "not_connected":
      return "On this computer only";
    case "synced":
      return when ? `Synced ${when}` : "Synced";
    case "syncing":
      return sync.sending ? `Syncing… ${sync.sending.sent} of ${sync.sending.total} changes sent` : "Syncing…";
    case "offline":
      return "Offline · changes wait";
    case "sign_in_required":
      return "Sign in again to sync";
    case "locked":
      return "Sync paused while locked";
    case "failed":
      return "Sync failed — will retry";
    case "unverified":
      return "Rejected service data";
  }
}

/** The longer story behind the status line, for its tooltip. */
export function syncDetail(sync: SyncStatus, now = Date.now()): string {
  const when = sync.last_synced_at !== null ? `Last synced ${syncedWhen(sync.last_synced_at, now)}.` : "Not synced yet.";
  return sync.error ? `${when} ${sync.error}` : when;
}
