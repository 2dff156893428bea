import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { GeneratorOptions } from "./bindings";
import Generator from "./Generator.svelte";

const DEFAULTS: GeneratorOptions = {
  length: 20,
  lowercase: true,
  uppercase: true,
  digits: true,
  symbols: true,
  exclude_lookalikes: false,
};

describe("Generator", () => {
  it("generates with the defaults, regenerates on a change of options, and copies", async () => {
    const asked: (GeneratorOptions | null)[] = [];
    const copied: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "generate_password") {
        const options = (args as { options: GeneratorOptions | null }).options;
        asked.push(options);
        const used = options ?? DEFAULTS;
        return { password: "x".repeat(used.length), options: used };
      }
      if (cmd === "password_strength") return { score: 4, crack_time: "centuries", warning: null, suggestions: [] };
      if (cmd === "copy_text") {
        copied.push((args as { text: string }).text);
        return { clears_after_seconds: 30 };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Generator);
    const output = screen.getByLabelText("Generated password");
    await waitFor(() => expect(output).toHaveTextContent("x".repeat(20)));
    expect(asked).toEqual([null]);

    await fireEvent.click(screen.getByRole("checkbox", { name: /Symbols/ }));
    await waitFor(() => expect(asked.at(-1)).toEqual({ ...DEFAULTS, symbols: false }));
    await fireEvent.input(screen.getByRole("slider", { name: "Length" }), { target: { value: "32" } });
    await waitFor(() => expect(output).toHaveTextContent("x".repeat(32)));

    await fireEvent.click(screen.getByRole("button", { name: "Copy" }));
    await waitFor(() => expect(copied).toEqual(["x".repeat(32)]));
    expect(await screen.findByText(/cleared in 30 s/)).toBeInTheDocument();
  });

  it("explains refused options", async () => {
    mockIPC(() => {
      throw { code: "invalid_generator_options", message: "choose at least one kind of character" };
    });
    render(Generator);
    expect(await screen.findByRole("alert")).toHaveTextContent("choose at least one kind of character");
  });
});
