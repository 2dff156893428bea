import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Welcome from "./Welcome.svelte";

function mockAppInfo() {
  mockIPC((cmd) => {
    if (cmd === "app_info") return { product_name: "Keyhaven", version: "0.1.0" };
    throw new Error(`unexpected command ${cmd}`);
  });
}

describe("Welcome", () => {
  it("shows the product name, both choices and the version", async () => {
    mockAppInfo();
    render(Welcome, { onGetStarted: () => {}, onConnect: () => {} });
    expect(screen.getByRole("heading", { name: "Keyhaven" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Connect to Keyhaven Account" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Get started without an account" })).toBeInTheDocument();
    expect(await screen.findByText("Keyhaven 0.1.0")).toBeInTheDocument();
  });

  it("starts the local vault flow", async () => {
    mockAppInfo();
    const onGetStarted = vi.fn();
    render(Welcome, { onGetStarted, onConnect: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Get started without an account" }));
    expect(onGetStarted).toHaveBeenCalledOnce();
  });

  it("starts connecting to Keyhaven Account", async () => {
    mockAppInfo();
    const onConnect = vi.fn();
    render(Welcome, { onGetStarted: () => {}, onConnect });
    await fireEvent.click(screen.getByRole("button", { name: "Connect to Keyhaven Account" }));
    expect(onConnect).toHaveBeenCalledOnce();
  });
});
