import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { clearMocks } from "@tauri-apps/api/mocks";

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
