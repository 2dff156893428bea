import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/svelte";
import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import App from "./App.svelte";
import { NOT_CONNECTED } from "./test-fixtures";

const SETTINGS = {
  auto_lock_seconds: 900,
  lock_on_sleep: true,
  clipboard_clear_seconds: 30,
  close_to_tray: true,
  theme: "dark",
};

describe("App", () => {
  it("applies the saved theme and shows the unlock screen when Rust locks the vault (auto-lock, tray)", async () => {
    mockWindows("main");
    mockIPC(
      (cmd) => {
        if (cmd === "vault_status") return { exists: true, unlocked: true };
        if (cmd === "get_settings") return SETTINGS;
        if (cmd === "list_items") return { total: 0, offset: 0, items: [] };
        if (cmd === "list_folders") return [];
        if (cmd === "note_activity" || cmd === "ui_ready") return null;
        if (cmd === "account_status") return NOT_CONNECTED;
    if (cmd === "connect_reminder_due") return false;
    throw new Error(`unexpected command ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    render(App);
    expect(await screen.findByRole("heading", { name: "Your vault is empty" })).toBeInTheDocument();
    expect(document.documentElement.dataset.theme).toBe("dark");

    await emit("vault-status-changed", { exists: true, unlocked: false });
    expect(await screen.findByRole("heading", { name: "Unlock Keyhaven" })).toBeInTheDocument();
  });

  it("draws the first screen from the boot data Rust injects, without a round trip", async () => {
    mockWindows("main");
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return null;
    });
    (window as { __KEYHAVEN_BOOT__?: unknown }).__KEYHAVEN_BOOT__ = { status: { exists: true, unlocked: false }, theme: "light" };
    try {
      render(App);
      expect(screen.getByRole("heading", { name: "Unlock Keyhaven" })).toBeInTheDocument();
      expect(calls).not.toContain("vault_status");
    } finally {
      delete (window as { __KEYHAVEN_BOOT__?: unknown }).__KEYHAVEN_BOOT__;
    }
  });
});
