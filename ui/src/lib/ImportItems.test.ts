import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { ImportFormatInfo, ImportPreview } from "./bindings";
import ImportItems from "./ImportItems.svelte";
import ExportItems from "./ExportItems.svelte";

const FORMATS: ImportFormatInfo[] = [
  { format: "bitwarden_json", needs_password: false, takes_key_file: false },
  { format: "kdbx", needs_password: true, takes_key_file: true },
];

const PREVIEW: ImportPreview = {
  file_name: "bitwarden_export.json",
  total: 3,
  preview: {
    by_kind: { login: 2, card: 1 },
    by_folder: { "": 1, Work: 2 },
    skipped: [{ title: "Old", reason: "it is in Bitwarden's trash" }],
    not_kept: [{ item: "GitHub", what: "the attachment scan.pdf" }],
    duplicates: [{ index: 0, title: "GitHub" }],
  },
  csv: null,
};

function mockImport() {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === "plugin:event|listen") return 1;
    if (cmd === "plugin:event|unlisten") return null;
    if (cmd === "import_formats") return FORMATS;
    if (cmd === "choose_import_file") return { file_name: "bitwarden_export.json", detected: "bitwarden_json" };
    if (cmd === "preview_import") return PREVIEW;
    if (cmd === "run_import") return 2;
    if (cmd === "cancel_import") return null;
    if (cmd === "password_strength") return { score: 4, warning: null, suggestions: [], crack_time: "centuries" };
    if (cmd === "export_vault") return "keyhaven-export.keyhaven";
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

describe("ImportItems", () => {
  it("shows what the file holds before anything is written, then imports without the duplicates", async () => {
    const calls = mockImport();
    render(ImportItems);
    await fireEvent.click(screen.getByRole("button", { name: "Import…" }));
    await fireEvent.click(screen.getByRole("button", { name: "Choose file…" }));
    expect(await screen.findByTestId("import-file")).toHaveTextContent("bitwarden_export.json");
    await waitFor(() => expect(screen.getByTestId("import-format")).toHaveValue("bitwarden_json"));
    await fireEvent.click(screen.getByRole("button", { name: "Read file" }));
    expect(await screen.findByTestId("import-summary")).toHaveTextContent("holds 3 items: 2 logins, 1 cards");
    expect(screen.getByTestId("import-not-kept")).toHaveTextContent("GitHub: the attachment scan.pdf");
    expect(screen.getByText(/1 entry is skipped/)).toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "run_import")).toBe(false);
    await fireEvent.click(screen.getByRole("button", { name: "Import 2 items" }));
    expect(await screen.findByTestId("import-done")).toHaveTextContent("Imported 2 items.");
    expect(calls.find((c) => c.cmd === "run_import")?.args).toEqual({ skipDuplicates: true });
  });

  it("asks for the password of an encrypted file and offers its key file", async () => {
    mockImport();
    render(ImportItems, { startOpen: true });
    await fireEvent.click(screen.getByRole("button", { name: "Choose file…" }));
    await screen.findByTestId("import-file");
    await fireEvent.change(screen.getByTestId("import-format"), { target: { value: "kdbx" } });
    expect(await screen.findByLabelText("The file's password")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Key file…" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Read file" })).toBeDisabled();
  });
});

describe("ExportItems", () => {
  it("asks the master password and a file password for an encrypted export", async () => {
    const calls = mockImport();
    render(ExportItems);
    await fireEvent.click(screen.getByRole("button", { name: "Export…" }));
    await fireEvent.input(screen.getByLabelText("Your master password"), { target: { value: "master pw" } });
    await fireEvent.input(screen.getByLabelText("A password for the file"), { target: { value: "violet anchor 42" } });
    await fireEvent.input(screen.getByLabelText("Type it again"), { target: { value: "violet anchor 42" } });
    const exportButton = screen.getAllByRole("button", { name: "Export…" }).at(-1)!;
    await waitFor(() => expect(exportButton).toBeEnabled());
    await fireEvent.click(exportButton);
    expect(await screen.findByTestId("export-notice")).toHaveTextContent("Exported to keyhaven-export.keyhaven");
    expect(calls.find((c) => c.cmd === "export_vault")?.args).toEqual({
      masterPassword: "master pw",
      format: "keyhaven",
      exportPassword: "violet anchor 42",
    });
  });

  it("explains a plaintext export and waits for the person to confirm it", async () => {
    mockImport();
    render(ExportItems);
    await fireEvent.click(screen.getByRole("button", { name: "Export…" }));
    await fireEvent.click(screen.getByRole("radio", { name: "Bitwarden JSON (not encrypted)" }));
    expect(screen.getByText(/Anyone who gets the file can read every password/)).toBeInTheDocument();
    await fireEvent.input(screen.getByLabelText("Your master password"), { target: { value: "master pw" } });
    const exportButton = screen.getAllByRole("button", { name: "Export…" }).at(-1)!;
    expect(exportButton).toBeDisabled();
    await fireEvent.click(screen.getByRole("checkbox", { name: /not encrypted/ }));
    expect(exportButton).toBeEnabled();
  });
});

describe("import errors", () => {
  it("say what is wrong with the file, as sentences, and that nothing was imported", async () => {
    const { describeError } = await import("./errors");
    const error = (code: string, message: string) =>
      describeError({ code, message, retry_after_seconds: null, tries_left: null, statement_version: null });
    expect(error("import_wrong_password", "the password (or key file) for vault.kdbx is wrong")).toBe(
      "The password (or key file) for vault.kdbx is wrong. Check it and try again; nothing was imported.",
    );
    expect(error("weak_export_password", "the export password is too easy to guess: add another word")).toBe(
      "This password is too easy to guess for a file that anyone could copy. add another word",
    );
  });
});
