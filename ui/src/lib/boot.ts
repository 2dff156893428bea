import type { Boot } from "./bindings";

export type { Boot };

/** The boot data, or null when the page was opened without it (tests, the dev server). */
export function bootData(): Boot | null {
  return (window as { __KEYHAVEN_BOOT__?: Boot }).__KEYHAVEN_BOOT__ ?? null;
}

/**
 * The label of the window this page runs in, from what Tauri injects before the page loads
 * (read directly: the window API module is large, and the first screen needs only this).
 */
export function windowLabel(): string {
  const internals = (window as { __TAURI_INTERNALS__?: { metadata?: { currentWindow?: { label?: string } } } })
    .__TAURI_INTERNALS__;
  return internals?.metadata?.currentWindow?.label ?? "main";
}
