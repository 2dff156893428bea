import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { HealthReport, Settings } from "../lib/bindings";
import Health from "./Health.svelte";

const item = (n: number) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, title: `Login ${n}`, subtitle: "ada" });

const REPORT: HealthReport = {
  counts: { weak: 1, reused: 2, old: 0, insecure: 1, leaked: 0 },
  weak: [{ item: item(1), score: 1 }],
  reused: [{ items: [item(2), item(3)] }],
  old: [],
  insecure: [{ item: item(4), url: "http://shop.example" }],
  leaked: [],
  leaks_checked_at: null,
  leaks_unchecked: 3,
};

const SETTINGS: Settings = {
  auto_lock_seconds: 900,
  lock_on_sleep: true,
  clipboard_clear_seconds: 30,
  close_to_tray: true,
  theme: "system",
  leak_check: false,
  leak_check_url: "",
};

describe("Health", () => {
  it("lists weak, reused and insecure logins, and an entry opens the item's editor", async () => {
    const called: string[] = [];
    mockIPC((cmd) => {
      called.push(cmd);
      if (cmd === "health_report") return REPORT;
      if (cmd === "get_settings") return SETTINGS;
      throw new Error(`unexpected command ${cmd}`);
    });
    const onOpen = vi.fn();
    render(Health, { onOpen });
    expect(await screen.findByText("Weak passwords (1)")).toBeInTheDocument();
    expect(screen.getByText("easy to guess")).toBeInTheDocument();
    expect(screen.getByText("2 logins share one password")).toBeInTheDocument();
    expect(screen.getByText("http://shop.example")).toBeInTheDocument();
    expect(screen.getByText("Every password changed within the last year.")).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Change the password of Login 3" }));
    expect(onOpen).toHaveBeenCalledWith(item(3).id);
    expect(called).not.toContain("check_leaked_passwords_now");
  });

  it("explains the leak check, runs it only once turned on, and shows what it found", async () => {
    let settings = SETTINGS;
    let checked = false;
    mockIPC((cmd, args) => {
      if (cmd === "health_report")
        return checked
          ? { ...REPORT, counts: { ...REPORT.counts, leaked: 1 }, leaked: [{ item: item(1), seen: 42 }], leaks_checked_at: 1, leaks_unchecked: 0 }
          : REPORT;
      if (cmd === "get_settings") return settings;
      if (cmd === "update_settings") {
        settings = (args as { settings: Settings }).settings;
        return settings;
      }
      if (cmd === "check_leaked_passwords_now") {
        checked = true;
        return { checked: 3, leaked: 1, checked_at: 1 };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Health, { onOpen: () => {} });
    expect(await screen.findByText(/Only the first 5 characters/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Turn on and check" }));
    await waitFor(() => expect(settings.leak_check).toBe(true));
    expect(await screen.findByText("seen 42 times in breaches")).toBeInTheDocument();
  });
});
