import { commands } from "./bindings";

/** How often, at most, the UI tells Rust the person is active (auto-lock counts from the last report). */
export const ACTIVITY_REPORT_MS = 5_000;

/**
 * Reports keyboard and pointer use to Rust, at most once per `ACTIVITY_REPORT_MS`, so auto-lock
 * counts idle time from real use. Returns a function that stops reporting.
 */
export function reportActivity(target: Window = window, now: () => number = Date.now): () => void {
  let last = -Infinity;
  const report = () => {
    const time = now();
    if (time - last < ACTIVITY_REPORT_MS) return;
    last = time;
    void commands.noteActivity();
  };
  const events = ["keydown", "pointerdown", "wheel"] as const;
  for (const name of events) target.addEventListener(name, report, { passive: true });
  return () => {
    for (const name of events) target.removeEventListener(name, report);
  };
}
