import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { MaskedItem } from "./bindings";
import ItemDetail from "./ItemDetail.svelte";

const LOGIN: MaskedItem = {
  id: "11111111-1111-4111-8111-111111111111",
  title: "GitHub",
  content: {
    type: "login",
    username: "ada",
    password: "••••••••••",
    urls: ["https://github.com"],
    notes: "",
    totp_secret: null,
    custom_fields: [],
  },
  favourite: true,
  folder: "Work",
  tags: ["dev"],
  created_at: 1,
  updated_at: 2,
  password_history: [{ password: "••••••••••", replaced_at: 2 }],
  field_history: [],
  hidden_history: [],
  needs_review: false,
};

const WITH_CODE: MaskedItem = { ...LOGIN, content: { ...LOGIN.content, totp_secret: "••••••••••" } } as MaskedItem;

describe("ItemDetail", () => {
  it("shows the one-time code Rust computes, its countdown, and offers Copy code after Copy password", async () => {
    const called: string[] = [];
    mockIPC((cmd) => {
      called.push(cmd);
      if (cmd === "totp_code") return { code: "123456", period: 30, seconds_left: 12 };
      if (cmd === "copy_item_field" || cmd === "copy_totp_code") return { clears_after_seconds: 30 };
      throw new Error(`unexpected command ${cmd}`);
    });
    render(ItemDetail, { item: WITH_CODE, onEdit: () => {}, onDeleted: () => {} });
    expect(await screen.findByText("123 456")).toBeInTheDocument();
    expect(screen.getByRole("timer")).toHaveTextContent("12 s");
    expect(screen.queryByText("••••••••••", { selector: ".code" })).not.toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Copy password" }));
    await fireEvent.click(await screen.findByRole("button", { name: "Copy code" }));
    await waitFor(() => expect(called).toContain("copy_totp_code"));
    expect(await screen.findByText(/One-time code copied/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Copy code" })).not.toBeInTheDocument();
  });

  it("says so when the stored secret cannot make codes", async () => {
    mockIPC((cmd) => {
      if (cmd === "totp_code")
        throw { code: "invalid_totp_secret", message: "this one-time code secret cannot make codes: a code has 6 to 8 digits, not \"0\"" };
      throw new Error(`unexpected command ${cmd}`);
    });
    render(ItemDetail, { item: WITH_CODE, onEdit: () => {}, onDeleted: () => {} });
    expect(await screen.findByTestId("totp-problem")).toHaveTextContent("Can't make codes from this secret: a code has 6 to 8 digits");
  });

  it("masks secrets until asked, then gets them from Rust, and shows the rest", async () => {
    const revealed: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "reveal_item_field") throw new Error(`unexpected command ${cmd}`);
      revealed.push(args);
      return "s3cret-pass";
    });
    render(ItemDetail, { item: LOGIN, onEdit: () => {}, onDeleted: () => {} });
    expect(screen.getByText("ada")).toBeInTheDocument();
    expect(screen.queryByText("s3cret-pass")).not.toBeInTheDocument();
    expect(screen.getByText("https://github.com")).toBeInTheDocument();
    expect(screen.getByText("1 previous password kept")).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Show password" }));
    expect(await screen.findByText("s3cret-pass")).toBeInTheDocument();
    expect(revealed).toEqual([{ id: LOGIN.id, field: { field: "password" } }]);
    await fireEvent.click(screen.getByRole("button", { name: "Hide password" }));
    expect(screen.queryByText("s3cret-pass")).not.toBeInTheDocument();
  });

  it("deletes only after confirmation", async () => {
    const deleted: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "delete_item") throw new Error(`unexpected command ${cmd}`);
      deleted.push((args as Record<string, string>).id ?? "");
      return null;
    });
    const onDeleted = vi.fn();
    render(ItemDetail, { item: LOGIN, onEdit: () => {}, onDeleted });
    await fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(screen.getByRole("alertdialog")).toHaveTextContent("Delete “GitHub”?");
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(deleted).toEqual([]);
    await fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    const confirm = screen.getAllByRole("button", { name: "Delete" }).at(-1);
    if (!confirm) throw new Error("no confirm button");
    await fireEvent.click(confirm);
    await waitFor(() => expect(onDeleted).toHaveBeenCalledOnce());
    expect(deleted).toEqual([LOGIN.id]);
  });

  it("copies a field through Rust without showing it, and says when the clipboard clears", async () => {
    const copies: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "copy_item_field") throw new Error(`unexpected command ${cmd}`);
      copies.push(args);
      return { clears_after_seconds: 30 };
    });
    render(ItemDetail, { item: LOGIN, onEdit: () => {}, onDeleted: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Copy password" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Password copied. The clipboard is cleared in 30 s.");
    expect(copies).toEqual([{ id: LOGIN.id, field: { field: "password" } }]);
    expect(screen.queryByText("s3cret-pass")).not.toBeInTheDocument();
  });

  it("opens a website through Rust and shows a refusal", async () => {
    mockIPC((cmd) => {
      if (cmd !== "open_item_url") throw new Error(`unexpected command ${cmd}`);
      throw { code: "url_not_opened", message: "only web addresses (http and https) are opened" };
    });
    render(ItemDetail, { item: LOGIN, onEdit: () => {}, onDeleted: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Open https://github.com in the browser" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("only web addresses");
  });

  it("lists previous passwords, masked until shown", async () => {
    mockIPC((cmd, args) => {
      if (cmd !== "reveal_item_field") throw new Error(`unexpected command ${cmd}`);
      expect(args).toEqual({ id: LOGIN.id, field: { field: "previous_password", index: 0 } });
      return "old";
    });
    render(ItemDetail, { item: LOGIN, onEdit: () => {}, onDeleted: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "1 previous password kept" }));
    expect(screen.queryByText("old")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Show previous password 1" }));
    expect(await screen.findByText("old")).toBeInTheDocument();
  });

  it("explains a sync conflict, shows replaced values (secrets on request) and clears the flag", async () => {
    const calls: unknown[] = [];
    const reviewed: MaskedItem[] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "reveal_item_field") return "pin-from-this-device";
      if (cmd === "mark_item_reviewed") return { ...conflicted, needs_review: false };
      throw new Error(`unexpected command ${cmd}`);
    });
    const conflicted: MaskedItem = {
      ...LOGIN,
      needs_review: true,
      field_history: [
        { field: "content.username", value: "ada.laptop", replaced_at: 3 },
        { field: "content.custom_fields", value: "••••••••••", replaced_at: 3 },
      ],
      hidden_history: [1],
    };
    render(ItemDetail, { item: conflicted, onEdit: () => {}, onDeleted: () => {}, onChanged: (i: MaskedItem) => reviewed.push(i) });
    expect(screen.getByText("Changed on two devices at once")).toBeInTheDocument();
    expect(screen.getByText("ada.laptop")).toBeInTheDocument();
    expect(screen.queryByText("pin-from-this-device")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Show replaced custom fields" }));
    expect(await screen.findByText("pin-from-this-device")).toBeInTheDocument();
    expect(calls).toContainEqual(["reveal_item_field", { id: LOGIN.id, field: { field: "replaced_value", index: 1 } }]);
    await fireEvent.click(screen.getByRole("button", { name: "Mark as reviewed" }));
    await waitFor(() => expect(reviewed).toHaveLength(1));
    expect(reviewed[0]?.needs_review).toBe(false);
  });
});
