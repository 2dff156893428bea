import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { Settings as SettingsValue } from "../lib/bindings";
import Settings from "./Settings.svelte";

const DEFAULTS: SettingsValue = {
  auto_lock_seconds: 900,
  lock_on_sleep: true,
  clipboard_clear_seconds: 30,
  close_to_tray: true,
  theme: "system",
  leak_check: false,
  leak_check_url: "",
};

function mockSettings(refuse = false) {
  const saved: SettingsValue[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "get_settings") return DEFAULTS;
    if (cmd === "import_formats") return [];
    if (cmd === "plugin:event|listen") return 1;
    if (cmd === "update_settings") {
      if (refuse) throw { code: "settings_io", message: "could not save settings to /x: disk full" };
      const next = (args as { settings: SettingsValue }).settings;
      saved.push(next);
      return next;
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  return saved;
}

describe("Settings", () => {
  it("shows the current settings and saves each change at once", async () => {
    const saved = mockSettings();
    render(Settings);
    const autoLock = await screen.findByRole("combobox", { name: "Lock the vault when idle" });
    expect(autoLock).toHaveValue("900");
    expect(screen.getByRole("combobox", { name: "Clear copied passwords from the clipboard" })).toHaveValue("30");
    await fireEvent.change(autoLock, { target: { value: "300" } });
    await waitFor(() => expect(saved.at(-1)?.auto_lock_seconds).toBe(300));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();

    await fireEvent.click(screen.getByRole("radio", { name: "Dark" }));
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    expect(saved.at(-1)).toEqual({ ...DEFAULTS, auto_lock_seconds: 300, theme: "dark" });
  });

  it("says so when saving fails", async () => {
    mockSettings(true);
    render(Settings);
    await fireEvent.click(await screen.findByRole("checkbox", { name: /keeps Keyhaven in the tray/ }));
    expect(await screen.findByRole("alert")).toHaveTextContent("disk full");
  });
});
