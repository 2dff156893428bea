import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Vault from "./Vault.svelte";

const ITEMS = [
  { id: "1", kind: "card", title: "Bank card", subtitle: "Visa •••• 1234", urls: [], favourite: false, folder: null, tags: [], updated_at: 1 },
  { id: "2", kind: "login", title: "GitHub", subtitle: "ada", urls: ["https://github.com"], favourite: true, folder: null, tags: [], updated_at: 2 },
];

function mockVault(items = ITEMS) {
  mockIPC((cmd, args) => {
    if (cmd === "list_items") {
      const query = ((args as Record<string, string>).query ?? "").toLowerCase();
      return items.filter((item) => item.title.toLowerCase().includes(query));
    }
    if (cmd === "lock_vault") return { exists: true, unlocked: false };
    throw new Error(`unexpected command ${cmd}`);
  });
}

describe("Vault", () => {
  it("shows an empty state that says how to add items", async () => {
    mockVault([]);
    render(Vault, { onLocked: () => {} });
    expect(await screen.findByRole("heading", { name: "Your vault is empty" })).toBeInTheDocument();
    expect(screen.getByText(/Add your first login/)).toBeInTheDocument();
  });

  it("lists items and narrows them as you type", async () => {
    mockVault();
    render(Vault, { onLocked: () => {} });
    expect(await screen.findByRole("button", { name: /GitHub ★/ })).toBeInTheDocument();
    expect(screen.getByText("Card · Visa •••• 1234")).toBeInTheDocument();
    await fireEvent.input(screen.getByRole("searchbox", { name: "Search the vault" }), { target: { value: "git" } });
    await waitFor(() => expect(screen.queryByText("Bank card")).not.toBeInTheDocument());
    await fireEvent.input(screen.getByRole("searchbox", { name: "Search the vault" }), { target: { value: "zzz" } });
    expect(await screen.findByRole("status")).toHaveTextContent("Nothing matches");
  });

  it("locks", async () => {
    mockVault();
    const onLocked = vi.fn();
    render(Vault, { onLocked });
    await fireEvent.click(screen.getByRole("button", { name: "Lock" }));
    await waitFor(() => expect(onLocked).toHaveBeenCalledWith({ exists: true, unlocked: false }));
  });
});

describe("Vault filters and keyboard", () => {
  it("filters by kind and favourites", async () => {
    mockVault();
    render(Vault, { onLocked: () => {} });
    await screen.findByRole("button", { name: /GitHub/ });
    await fireEvent.change(screen.getByRole("combobox", { name: "Show" }), { target: { value: "card" } });
    expect(screen.getByRole("button", { name: /Bank card/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /GitHub/ })).not.toBeInTheDocument();
    await fireEvent.change(screen.getByRole("combobox", { name: "Show" }), { target: { value: "favourites" } });
    expect(screen.getByRole("button", { name: /GitHub/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Bank card/ })).not.toBeInTheDocument();
  });

  it("Ctrl+F and typing anywhere go to the search box", async () => {
    mockVault();
    render(Vault, { onLocked: () => {} });
    await screen.findByRole("button", { name: /GitHub/ });
    const search = screen.getByRole("searchbox", { name: "Search the vault" });
    await fireEvent.keyDown(document.body, { key: "f", ctrlKey: true });
    expect(search).toHaveFocus();
    search.blur();
    await fireEvent.keyDown(document.body, { key: "g" });
    expect(search).toHaveFocus();
  });
});
