import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Welcome from "./Welcome.svelte";

type Handler = (cmd: string) => unknown;

function mockAppInfo(more: Handler = () => undefined) {
  mockIPC((cmd) => {
    if (cmd === "app_info") return { product_name: "Keyhaven", version: "0.1.0" };
    if (cmd === "suite_offer") return more(cmd) ?? null;
    const answer = more(cmd);
    if (answer !== undefined) return answer;
    throw new Error(`unexpected command ${cmd}`);
  });
}

const OFFER = { email_hint: "a***@example.com", published_by: "cli" };
const STEP = {
  step: "connect_vault",
  email: "ada@example.com",
  vault_step: "unlock_account_vault",
  other_os_user_connected: false,
};

describe("Welcome", () => {
  it("shows the product name, both choices and the version", async () => {
    mockAppInfo();
    render(Welcome, { onGetStarted: () => {}, onConnect: () => {}, onContinued: () => {} });
    expect(screen.getByRole("heading", { name: "Keyhaven" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Connect to Keyhaven Account" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Get started without an account" })).toBeInTheDocument();
    expect(await screen.findByText("Keyhaven 0.1.0")).toBeInTheDocument();
  });

  it("starts the local vault flow", async () => {
    mockAppInfo();
    const onGetStarted = vi.fn();
    render(Welcome, { onGetStarted, onConnect: () => {}, onContinued: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Get started without an account" }));
    expect(onGetStarted).toHaveBeenCalledOnce();
  });

  it("starts connecting to Keyhaven Account", async () => {
    mockAppInfo();
    const onConnect = vi.fn();
    render(Welcome, { onGetStarted: () => {}, onConnect, onContinued: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Connect to Keyhaven Account" }));
    expect(onConnect).toHaveBeenCalledOnce();
  });

  it("offers Continue as <email> when another Keyhaven app of this computer is signed in", async () => {
    mockAppInfo((cmd) => (cmd === "suite_offer" ? OFFER : cmd === "continue_with_suite" ? STEP : undefined));
    const onContinued = vi.fn();
    render(Welcome, { onGetStarted: () => {}, onConnect: () => {}, onContinued });
    await fireEvent.click(await screen.findByRole("button", { name: "Continue as a***@example.com" }));
    expect(screen.getByText(/another Keyhaven app on this computer \(cli\)/)).toBeInTheDocument();
    await vi.waitFor(() => expect(onContinued).toHaveBeenCalledWith(STEP));
  });

  it("an offer that ended meanwhile leaves the normal choices with a word why", async () => {
    mockAppInfo((cmd) => {
      if (cmd === "suite_offer") return OFFER;
      if (cmd === "continue_with_suite")
        throw { code: "suite_session_invalid", message: "ended", retry_after_seconds: null, tries_left: null, statement_version: null };
      return undefined;
    });
    render(Welcome, { onGetStarted: () => {}, onConnect: () => {}, onContinued: () => {} });
    await fireEvent.click(await screen.findByRole("button", { name: "Continue as a***@example.com" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("has ended. Sign in another way.");
    expect(screen.queryByTestId("suite-offer")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Connect to Keyhaven Account" })).toBeInTheDocument();
  });

  it("asks for a newer Web-Portal Statement first, then continues with it accepted", async () => {
    const versions: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "app_info") return { product_name: "Keyhaven", version: "0.1.0" };
      if (cmd === "suite_offer") return OFFER;
      if (cmd === "get_statement") return { version: 4, text: "The new statement." };
      if (cmd === "continue_with_suite") {
        const version = (args as { acceptedStatementVersion: number | null }).acceptedStatementVersion;
        versions.push(version);
        if (version !== 4) return { step: "accept_statement", version: 4 };
        return STEP;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const onContinued = vi.fn();
    render(Welcome, { onGetStarted: () => {}, onConnect: () => {}, onContinued });
    const button = await screen.findByRole("button", { name: "Continue as a***@example.com" });
    await fireEvent.click(button);
    await fireEvent.click(await screen.findByLabelText(/I have read and accept the Web-Portal Statement \(version 4\)/));
    await fireEvent.click(button);
    await vi.waitFor(() => expect(onContinued).toHaveBeenCalledWith(STEP));
    expect(versions).toEqual([null, 4]);
  });
});
