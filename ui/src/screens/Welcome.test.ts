import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Welcome from "./Welcome.svelte";

function mockAppInfo(hasLocalVault: boolean) {
  mockIPC((cmd) => {
    if (cmd === "app_info") return { product_name: "Keyhaven", version: "0.1.0", has_local_vault: hasLocalVault };
    throw new Error(`unexpected command ${cmd}`);
  });
}

describe("Welcome", () => {
  it("shows the product name, both choices and the version", async () => {
    mockAppInfo(false);
    render(Welcome);
    expect(screen.getByRole("heading", { name: "Keyhaven" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Connect to Keyhaven Account" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Get started without an account" })).toBeInTheDocument();
    expect(await screen.findByText("Keyhaven 0.1.0")).toBeInTheDocument();
  });

  it("points to creating a vault when there is none", async () => {
    mockAppInfo(false);
    render(Welcome);
    await screen.findByText("Keyhaven 0.1.0");
    await fireEvent.click(screen.getByRole("button", { name: "Get started without an account" }));
    expect(screen.getByRole("status")).toHaveTextContent("keyhaven vault init");
  });

  it("points to the existing vault when there is one", async () => {
    mockAppInfo(true);
    render(Welcome);
    await screen.findByText("Keyhaven 0.1.0");
    await fireEvent.click(screen.getByRole("button", { name: "Get started without an account" }));
    expect(screen.getByRole("status")).toHaveTextContent("A vault already exists");
  });

  it("shows the error when the app cannot describe itself", async () => {
    mockIPC(() => {
      throw { code: "io_error", message: "cannot access ~: no home directory for this user" };
    });
    render(Welcome);
    expect(await screen.findByRole("alert")).toHaveTextContent("no home directory");
  });
});
