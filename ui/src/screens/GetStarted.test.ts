import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import GetStarted from "./GetStarted.svelte";

const STRONG = { score: 4, guesses_log10: 20, crack_time: "centuries", warning: null, suggestions: [] };
const WEAK = { score: 0, guesses_log10: 2, crack_time: "less than a second", warning: "This is a very common password.", suggestions: [] };

function mockBackend(created: unknown[] = []) {
  mockIPC((cmd, args) => {
    const payload = args as Record<string, string>;
    if (cmd === "password_strength") return payload.password === "password1" ? WEAK : STRONG;
    if (cmd === "create_vault") {
      created.push(payload.masterPassword);
      return { exists: true, unlocked: true };
    }
    throw new Error(`unexpected command ${cmd}`);
  });
}

async function type(label: string, value: string) {
  await fireEvent.input(screen.getByLabelText(label), { target: { value } });
}

describe("GetStarted", () => {
  it("explains that the master password cannot be recovered", () => {
    mockBackend();
    render(GetStarted, { onCreated: () => {}, onBack: () => {} });
    expect(screen.getByText(/nobody can recover it for you/)).toBeInTheDocument();
  });

  it("shows the strength and refuses a guessable password", async () => {
    mockBackend();
    render(GetStarted, { onCreated: () => {}, onBack: () => {} });
    await type("Master password", "password1");
    expect(await screen.findByText("This is a very common password.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create vault" })).toBeDisabled();
  });

  it("refuses two different entries", async () => {
    const created: unknown[] = [];
    mockBackend(created);
    render(GetStarted, { onCreated: () => {}, onBack: () => {} });
    await type("Master password", "correct horse battery staple");
    await type("Type it again", "correct horse battery stapler");
    await screen.findByTestId("strength-label");
    await fireEvent.click(screen.getByRole("button", { name: "Create vault" }));
    expect(screen.getByRole("alert")).toHaveTextContent("not the same");
    expect(created).toEqual([]);
  });

  it("creates the vault and hands over its status", async () => {
    const created: unknown[] = [];
    mockBackend(created);
    const onCreated = vi.fn();
    render(GetStarted, { onCreated, onBack: () => {} });
    await type("Master password", "correct horse battery staple");
    await type("Type it again", "correct horse battery staple");
    expect(await screen.findByTestId("strength-label")).toHaveTextContent("Very strong");
    await fireEvent.click(screen.getByRole("button", { name: "Create vault" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith({ exists: true, unlocked: true }));
    expect(created).toEqual(["correct horse battery staple"]);
  });
});
