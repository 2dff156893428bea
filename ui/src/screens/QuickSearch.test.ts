import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import QuickSearch from "./QuickSearch.svelte";

const ITEMS = [
  { id: "1", kind: "login", title: "GitHub", subtitle: "ada", urls: [], favourite: false, folder: null, tags: [], updated_at: 1 },
  { id: "2", kind: "card", title: "Visa", subtitle: "•••• 1234", urls: [], favourite: false, folder: null, tags: [], updated_at: 1 },
];

describe("QuickSearch", () => {
  it("finds items as you type; Enter copies the highlighted one's secret and hides the window", async () => {
    mockWindows("quick-search");
    const copied: unknown[] = [];
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === "list_items") {
        const query = (args as { query: string }).query.toLowerCase();
        const items = ITEMS.filter((item) => item.title.toLowerCase().includes(query));
        return { total: items.length, offset: 0, items };
      }
      if (cmd === "copy_item_field") {
        copied.push(args);
        return { clears_after_seconds: 30 };
      }
      if (cmd === "plugin:window|hide") return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(QuickSearch, { unlocked: true });
    const input = screen.getByRole("searchbox", { name: "Quick search" });
    expect(await screen.findByRole("option", { name: /GitHub/ })).toHaveAttribute("aria-selected", "true");
    await fireEvent.keyDown(input, { key: "ArrowDown" });
    expect(screen.getByRole("option", { name: /Visa/ })).toHaveAttribute("aria-selected", "true");
    await fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(copied).toEqual([{ id: "2", field: { field: "card_number" } }]));
    await waitFor(() => expect(calls).toContain("plugin:window|hide"));

    await fireEvent.input(input, { target: { value: "nothing" } });
    expect(await screen.findByRole("status")).toHaveTextContent("Nothing matches “nothing”.");
  });

  it("asks to unlock in the main window while locked", () => {
    mockWindows("quick-search");
    mockIPC(() => {
      throw new Error("no command while locked");
    });
    render(QuickSearch, { unlocked: false });
    expect(screen.getByText(/Keyhaven is locked/)).toBeInTheDocument();
  });
});
