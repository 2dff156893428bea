import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Unlock from "./Unlock.svelte";

function mockUnlock() {
  mockIPC((cmd, args) => {
    if (cmd !== "unlock_vault") throw new Error(`unexpected command ${cmd}`);
    if ((args as Record<string, string>).masterPassword !== "right one") {
      throw { code: "wrong_master_password", message: "the master password is wrong" };
    }
    return { exists: true, unlocked: true };
  });
}

async function submit(password: string) {
  await fireEvent.input(screen.getByLabelText("Master password"), { target: { value: password } });
  await fireEvent.click(screen.getByRole("button", { name: "Unlock" }));
}

describe("Unlock", () => {
  it("explains a wrong master password and stays locked", async () => {
    mockUnlock();
    const onUnlocked = vi.fn();
    render(Unlock, { onUnlocked });
    await submit("wrong one");
    expect(await screen.findByRole("alert")).toHaveTextContent("That master password is not right");
    expect(onUnlocked).not.toHaveBeenCalled();
  });

  it("unlocks with the right master password", async () => {
    mockUnlock();
    const onUnlocked = vi.fn();
    render(Unlock, { onUnlocked });
    await submit("right one");
    await waitFor(() => expect(onUnlocked).toHaveBeenCalledWith({ exists: true, unlocked: true }));
  });
});
