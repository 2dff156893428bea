import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import ChangeMasterPassword from "./ChangeMasterPassword.svelte";
import { NOT_CONNECTED } from "../test-fixtures";

const STRONG = { score: 4, crack_time: "centuries", warning: null, suggestions: [] };

/** Rust's side: the account status, strength estimates, and the change itself (`answer`). */
function mockRust(answer: (args: unknown) => unknown, signedIn = false) {
  const calls: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "account_status") return { ...NOT_CONNECTED, signed_in: signedIn };
    if (cmd === "password_strength") return STRONG;
    if (cmd === "change_master_password") {
      calls.push(args);
      return answer(args);
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

async function fill(current: string, next: string, again: string) {
  await fireEvent.click(screen.getByRole("button", { name: "Change master password…" }));
  await fireEvent.input(screen.getByLabelText("Current master password"), { target: { value: current } });
  await fireEvent.input(screen.getByLabelText("New master password"), { target: { value: next } });
  await fireEvent.input(screen.getByLabelText("Type the new one again"), { target: { value: again } });
}

describe("ChangeMasterPassword", () => {
  it("refuses two different new passwords before asking Rust", async () => {
    const calls = mockRust(() => null);
    render(ChangeMasterPassword);
    await fill("old one", "violet kettle harbour sixteen", "violet kettle harbour seventeen");
    await fireEvent.click(await screen.findByRole("button", { name: "Change master password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The two new passwords are not the same.");
    expect(calls).toEqual([]);
  });

  it("sends the current and the new password, and says what happens next on a connected vault", async () => {
    const calls = mockRust(() => null, true);
    render(ChangeMasterPassword);
    await fill("old one", "violet kettle harbour sixteen", "violet kettle harbour sixteen");
    const submit = screen.getByRole("button", { name: "Change master password" });
    await waitFor(() => expect(submit).toBeEnabled());
    await fireEvent.click(submit);
    await waitFor(() => expect(calls).toEqual([{ currentPassword: "old one", newPassword: "violet kettle harbour sixteen" }]));
    expect(await screen.findByTestId("master-password-notice")).toHaveTextContent(
      "your other devices ask for the new one at their next unlock",
    );
    expect(screen.queryByLabelText("Current master password")).not.toBeInTheDocument();
  });

  it("explains a wrong current password and keeps the form", async () => {
    mockRust(() => {
      throw { code: "wrong_master_password", message: "the master password is wrong" };
    });
    render(ChangeMasterPassword);
    await fill("not it", "violet kettle harbour sixteen", "violet kettle harbour sixteen");
    const submit = screen.getByRole("button", { name: "Change master password" });
    await waitFor(() => expect(submit).toBeEnabled());
    await fireEvent.click(submit);
    expect(await screen.findByRole("alert")).toHaveTextContent("That master password is not right.");
    expect(screen.getByLabelText("Current master password")).toBeInTheDocument();
  });
});
