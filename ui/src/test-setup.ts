import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { configure } from "@testing-library/svelte";

/** `findBy…` and `waitFor` wait on conditions; on a busy machine a screen may take longer than
 * the library's default second to get there, which is not a failure. */
configure({ asyncUtilTimeout: 10_000 });

/** jsdom has no layout, so no ResizeObserver; Svelte's size bindings only need it to exist. */
class NoLayoutResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoLayoutResizeObserver;

/** jsdom has no media queries; screens that follow the system theme see a light system. */
window.matchMedia ??= (query: string) =>
  ({
    matches: false,
    media: query,
    onchange: null,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
    dispatchEvent: () => false,
  }) as MediaQueryList;

afterEach(() => clearMocks());
