import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import ItemEditor from "./ItemEditor.svelte";
import { emptyDraft } from "./items";

describe("ItemEditor", () => {
  it("adds a login with a generated password, websites and tags", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "generate_password") return { password: "Generated-Pass-123!", options: {} };
      if (cmd === "add_item") {
        const draft = (args as { draft: Record<string, unknown> }).draft;
        sent.push(draft);
        return { id: "1", ...draft, created_at: 1, updated_at: 1, password_history: [] };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const onSaved = vi.fn();
    render(ItemEditor, { initial: emptyDraft("login"), onSaved, onCancel: () => {} });
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "GitHub" } });
    await fireEvent.input(screen.getByLabelText("Username"), { target: { value: "ada" } });
    await fireEvent.click(screen.getByRole("button", { name: "Generate" }));
    await waitFor(() => expect(screen.getByLabelText("Password")).toHaveValue("Generated-Pass-123!"));
    await fireEvent.input(screen.getByLabelText("Websites (one per line)"), { target: { value: "https://github.com\n\n" } });
    await fireEvent.input(screen.getByLabelText("Tags (comma separated)"), { target: { value: "dev, work" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledOnce());
    expect(sent[0]).toMatchObject({
      title: "GitHub",
      tags: ["dev", "work"],
      folder: null,
      content: { type: "login", username: "ada", password: "Generated-Pass-123!", urls: ["https://github.com"] },
    });
  });

  it("shows the vault's refusal in words", async () => {
    mockIPC(() => {
      throw { code: "invalid_item", message: "invalid item: the title must not be empty" };
    });
    render(ItemEditor, { initial: emptyDraft("secure_note"), onSaved: () => {}, onCancel: () => {} });
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: " " } });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the title must not be empty");
  });

  it("edits a card's expiry as numbers, sending the version it started from", async () => {
    const sent: unknown[] = [];
    const bases: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "update_item") throw new Error(`unexpected command ${cmd}`);
      sent.push((args as { draft: unknown }).draft);
      bases.push((args as { base: unknown }).base);
      return { id: "c", ...(args as { draft: object }).draft, created_at: 1, updated_at: 2, password_history: [] };
    });
    const card = { ...emptyDraft("card"), title: "Visa" };
    const stored = { id: "c", ...card, created_at: 1, updated_at: 1, password_history: [], field_history: [], needs_review: false };
    render(ItemEditor, { initial: card, itemId: "c", base: stored, onSaved: () => {}, onCancel: () => {} });
    await fireEvent.input(screen.getByLabelText("Expiry month"), { target: { value: "7" } });
    await fireEvent.input(screen.getByLabelText("Expiry year"), { target: { value: "2031" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ title: "Visa", content: { type: "card", expiry_month: 7, expiry_year: 2031 } });
    expect(bases[0]).toMatchObject({ id: "c", updated_at: 1 });
  });
});
