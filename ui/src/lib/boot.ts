import type { Theme, VaultStatus } from "./bindings";

/** What Rust hands the page before it loads (shell.rs `boot_script`): enough to draw the first screen. */
export type Boot = { status: VaultStatus; theme: Theme };

/** The boot data, or null when the page was opened without it (tests, the dev server). */
export function bootData(): Boot | null {
  return (window as { __KEYHAVEN_BOOT__?: Boot }).__KEYHAVEN_BOOT__ ?? null;
}
