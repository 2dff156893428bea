import { afterEach, describe, expect, it, vi } from "vitest";
import { applyTheme } from "./theme";

function fakeSystem(dark: boolean) {
  const listeners = new Set<() => void>();
  const media = {
    matches: dark,
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  };
  vi.stubGlobal("matchMedia", () => media);
  return {
    switchTo(next: boolean) {
      media.matches = next;
      listeners.forEach((listener) => listener());
    },
    listeners,
  };
}

describe("applyTheme", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("follows the system and its changes while the choice is system", () => {
    const system = fakeSystem(false);
    const root = document.createElement("html");
    const stop = applyTheme("system", root);
    expect(root.dataset.theme).toBe("light");
    system.switchTo(true);
    expect(root.dataset.theme).toBe("dark");
    stop();
    expect(system.listeners.size).toBe(0);
  });

  it("forces the chosen theme whatever the system says", () => {
    const system = fakeSystem(true);
    const root = document.createElement("html");
    applyTheme("light", root);
    expect(root.dataset.theme).toBe("light");
    expect(system.listeners.size).toBe(0);
  });
});
