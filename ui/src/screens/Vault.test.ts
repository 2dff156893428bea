import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Vault from "./Vault.svelte";
import { NOT_CONNECTED } from "../test-fixtures";
import type { AccountView } from "../lib/bindings";

const ITEMS = [
  { id: "1", kind: "card", title: "Bank card", subtitle: "Visa •••• 1234", urls: [], favourite: false, folder: null, tags: [], updated_at: 1 },
  { id: "2", kind: "login", title: "GitHub", subtitle: "ada", urls: ["https://github.com"], favourite: true, folder: null, tags: [], updated_at: 2 },
];

type Filter = { show: string; kind?: string; folder?: string };

/** Rust's paging and filtering, in miniature. */
function mockVault(items = ITEMS) {
  mockIPC((cmd, args) => {
    if (cmd === "list_items") {
      const { query, filter, offset, limit } = args as { query: string; filter: Filter; offset: number; limit: number };
      const matching = items
        .filter((item) => item.title.toLowerCase().includes(query.toLowerCase()))
        .filter((item) =>
          filter.show === "favourites" ? item.favourite : filter.show === "kind" ? item.kind === filter.kind : true,
        );
      return { total: matching.length, offset, items: matching.slice(offset, offset + limit) };
    }
    if (cmd === "list_folders") return [];
    if (cmd === "lock_vault") return { exists: true, unlocked: false };
    if (cmd === "account_status") return NOT_CONNECTED;
    if (cmd === "connect_reminder_due") return false;
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
    expect(await screen.findByRole("option", { name: /GitHub ★/ })).toBeInTheDocument();
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
    await screen.findByRole("option", { name: /GitHub/ });
    await fireEvent.change(screen.getByRole("combobox", { name: "Show" }), { target: { value: "card" } });
    await waitFor(() => expect(screen.queryByRole("option", { name: /GitHub/ })).not.toBeInTheDocument());
    expect(screen.getByRole("option", { name: /Bank card/ })).toBeInTheDocument();
    await fireEvent.change(screen.getByRole("combobox", { name: "Show" }), { target: { value: "favourites" } });
    await waitFor(() => expect(screen.queryByRole("option", { name: /Bank card/ })).not.toBeInTheDocument());
    expect(screen.getByRole("option", { name: /GitHub/ })).toBeInTheDocument();
  });

  it("Ctrl+F and typing anywhere go to the search box", async () => {
    mockVault();
    render(Vault, { onLocked: () => {} });
    await screen.findByRole("option", { name: /GitHub/ });
    const search = screen.getByRole("searchbox", { name: "Search the vault" });
    await fireEvent.keyDown(document.body, { key: "f", ctrlKey: true });
    expect(search).toHaveFocus();
    search.blur();
    await fireEvent.keyDown(document.body, { key: "g" });
    expect(search).toHaveFocus();
  });

  it("arrow keys move through the list and Enter opens the item", async () => {
    const opened: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_items") return { total: 2, offset: 0, items: ITEMS };
      if (cmd === "list_folders") return ["Work"];
      if (cmd === "get_item") {
        opened.push((args as { id: string }).id);
        return { id: "2", title: "GitHub", content: { type: "secure_note", notes: "" }, favourite: false, folder: null, tags: [], created_at: 1, updated_at: 1, password_history: [] };
      }
      if (cmd === "account_status") return NOT_CONNECTED;
    if (cmd === "connect_reminder_due") return false;
    throw new Error(`unexpected command ${cmd}`);
    });
    render(Vault, { onLocked: () => {} });
    await screen.findByRole("option", { name: /GitHub/ });
    const search = screen.getByRole("searchbox", { name: "Search the vault" });
    await fireEvent.keyDown(search, { key: "ArrowDown" });
    const list = screen.getByRole("listbox", { name: "Items" });
    expect(list).toHaveFocus();
    expect(list).toHaveAttribute("aria-activedescendant", "item-row-0");
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    expect(list).toHaveAttribute("aria-activedescendant", "item-row-1");
    await fireEvent.keyDown(list, { key: "Enter" });
    await waitFor(() => expect(opened).toEqual(["2"]));
    expect(await screen.findByRole("heading", { name: "GitHub" })).toBeInTheDocument();
    expect(screen.getByRole("option", { name: "Folder: Work" })).toBeInTheDocument();
  });
});

describe("the reminder to connect", () => {
  function mockWithReminder(answers: string[]) {
    mockIPC((cmd) => {
      if (cmd === "list_items") return { total: 0, offset: 0, items: [] };
      if (cmd === "list_folders") return [];
      if (cmd === "account_status") return NOT_CONNECTED;
      if (cmd === "connect_reminder_due") return answers.length === 0;
      if (cmd === "answer_connect_reminder") {
        answers.push(cmd);
        return null;
      }
      if (cmd === "get_statement") return { version: 1, text: "Statement." };
      if (cmd === "sign_in_providers") return [];
      throw new Error(`unexpected command ${cmd}`);
    });
  }

  it("offers Connect, Create account and Later without blocking the vault; Later hides it", async () => {
    const answers: string[] = [];
    mockWithReminder(answers);
    render(Vault, { onLocked: () => {} });
    const reminder = await screen.findByRole("complementary", { name: "Your vault is only on this computer" });
    expect(screen.getByRole("searchbox", { name: "Search the vault" })).toBeEnabled();
    await fireEvent.click(within(reminder).getByRole("button", { name: "Later" }));
    await waitFor(() => expect(screen.queryByRole("complementary")).not.toBeInTheDocument());
    expect(answers).toEqual(["answer_connect_reminder"]);
  });

  it("waits while an item is being written, then shows; Create account opens account creation", async () => {
    const answers: string[] = [];
    mockWithReminder(answers);
    render(Vault, { onLocked: () => {} });
    await screen.findByRole("complementary", { name: "Your vault is only on this computer" });
    await fireEvent.change(screen.getByRole("combobox", { name: "New item" }), { target: { value: "login" } });
    await waitFor(() => expect(screen.queryByRole("complementary")).not.toBeInTheDocument());
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    const reminder = await screen.findByRole("complementary", { name: "Your vault is only on this computer" });
    await fireEvent.click(within(reminder).getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("tab", { name: "Create account", selected: true })).toBeInTheDocument();
    expect(answers).toEqual(["answer_connect_reminder"]);
  });
});

describe("the tray's Connect to Keyhaven Account…", () => {
  it("opens the connect screen of a vault without an account", async () => {
    const { emit } = await import("@tauri-apps/api/event");
    mockIPC(
      (cmd) => {
        if (cmd === "list_items") return { total: 0, offset: 0, items: [] };
        if (cmd === "list_folders") return [];
        if (cmd === "account_status") return NOT_CONNECTED;
        if (cmd === "connect_reminder_due") return false;
        if (cmd === "get_statement") return { version: 1, text: "Statement." };
        if (cmd === "sign_in_providers") return [];
        return null;
      },
      { shouldMockEvents: true },
    );
    render(Vault, { onLocked: () => {} });
    await screen.findByRole("searchbox", { name: "Search the vault" });
    await emit("open-connect");
    expect(await screen.findByRole("tab", { name: "Sign in", selected: true })).toBeInTheDocument();
  });
});

describe("a sync's change arriving while the person moves on", () => {
  const item = (id: string, title: string) => ({
    id,
    title,
    content: { type: "login", username: "ada", password: "••••••••", urls: [], notes: "", totp_secret: null, custom_fields: [] },
    favourite: false,
    folder: null,
    tags: [],
    created_at: 1,
    updated_at: 1,
    password_history: [],
    field_history: [],
    needs_review: false,
  });

  it("does not replace the item opened meanwhile with the one that was open when it came", async () => {
    const { emit } = await import("@tauri-apps/api/event");
    // The reload of the item open at the event is held until the person has opened another.
    let releaseReload: () => void = () => {};
    const reloadHeld = new Promise<void>((resolve) => (releaseReload = resolve));
    let reloads = 0;
    mockIPC(
      async (cmd, args) => {
        if (cmd === "list_items") return { total: 2, offset: 0, items: ITEMS };
        if (cmd === "list_folders") return [];
        if (cmd === "account_status") return NOT_CONNECTED;
        if (cmd === "connect_reminder_due") return false;
        if (cmd === "get_item") {
          const { id } = args as { id: string };
          if (id === "1" && ++reloads === 2) await reloadHeld;
          return id === "1" ? item("1", "Bank card") : item("2", "GitHub");
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    render(Vault, { onLocked: () => {} });
    await fireEvent.click(await screen.findByRole("option", { name: /Bank card/ }));
    expect(await screen.findByRole("heading", { name: "Bank card" })).toBeInTheDocument();

    await emit("vault-items-changed");
    await waitFor(() => expect(reloads).toBe(2));
    await fireEvent.click(screen.getByRole("option", { name: /GitHub/ }));
    expect(await screen.findByRole("heading", { name: "GitHub" })).toBeInTheDocument();
    releaseReload();
    // Every promise the reload chains has settled before the next macrotask.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.getByRole("heading", { name: "GitHub" })).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Bank card" })).not.toBeInTheDocument();
  });
});

describe("the vault screen and the sealed state", () => {
  const signedIn = (state: AccountView["sync"]["state"], error: string | null): AccountView => ({
    ...NOT_CONNECTED,
    signed_in: true,
    email: "ada@example.com",
    sync: { state, last_synced_at: Date.now(), error, conflicts: 0, sending: null },
  });

  it("shows when and where the vault last changed, and names a service whose data did not verify", async () => {
    const message =
      "The Keyhaven Account service returned a vault that does not match what your devices wrote (it went back to revision 1, after this computer saw 2). Nothing was changed on this computer.";
    mockIPC((cmd) => {
      if (cmd === "list_items") return { total: 2, offset: 0, items: ITEMS };
      if (cmd === "list_folders") return [];
      if (cmd === "account_status") return signedIn("unverified", message);
      if (cmd === "connect_reminder_due") return false;
      if (cmd === "vault_integrity") return { last_change: { at: Date.now(), device_name: "ada on desktop" }, quarantined: [] };
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Vault, { onLocked: () => {} });
    expect(await screen.findByTestId("last-change")).toHaveTextContent("Last changed just now on “ada on desktop”");
    expect(await screen.findByTestId("sync-unverified")).toHaveTextContent(message);
    expect(screen.getByTestId("sync-status")).toHaveTextContent("Rejected service data");
    expect(screen.getByRole("option", { name: /GitHub/ })).toBeInTheDocument();
  });
});
