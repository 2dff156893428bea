import { commands, type Strength } from "./bindings";

/**
 * Asks Rust how strong `typed` is once typing pauses, and reports it unless the password changed
 * meanwhile (`current` reads it again); an empty password reports `null`. Returns the cleanup for
 * the `$effect` that calls it.
 */
export function estimateStrength(typed: string, current: () => string, report: (strength: Strength | null) => void) {
  if (!typed) {
    report(null);
    return () => {};
  }
  const timer = setTimeout(async () => {
    const estimate = await commands.passwordStrength(typed);
    if (typed === current()) report(estimate);
  }, 120);
  return () => clearTimeout(timer);
}
