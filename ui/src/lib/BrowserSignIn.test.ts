import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { Step } from "./bindings";
import BrowserSignIn from "./BrowserSignIn.svelte";

const STATEMENT = { version: 3, text: "The statement." };
const SIGNED_IN: Step = {
  step: "connect_vault",
  email: "grace@example.com",
  vault_step: "create_account_vault",
  other_os_user_connected: false,
};
const problem = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  message: code,
  retry_after_seconds: null,
  tries_left: null,
  statement_version: null,
  ...extra,
});

describe("BrowserSignIn", () => {
  it("offers only the providers the service has, and none when it cannot be reached", async () => {
    mockIPC((cmd) => (cmd === "sign_in_providers" ? ["google", "apple"] : null));
    render(BrowserSignIn, { onStep: () => {} });
    expect(await screen.findByRole("button", { name: "Continue with Google" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Continue with Apple" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Continue with Facebook" })).not.toBeInTheDocument();
  });

  it("a new person gives a number and accepts the statement, then goes on to the code", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "sign_in_providers") return ["google"];
      if (cmd === "start_browser_sign_in") return "http://127.0.0.1:8787/oauth/authorize?x=1";
      if (cmd === "finish_browser_sign_in") return { step: "sign_up_with_provider", statement_version: 3 };
      if (cmd === "get_statement") return STATEMENT;
      if (cmd === "continue_browser_sign_in")
        return { step: "enter_code", code_sent: { phone_hint: "+…56", expires_in_seconds: 600, resend_after_seconds: 60, sent: true } };
      throw new Error(`unexpected command ${cmd}`);
    });
    const steps: Step[] = [];
    render(BrowserSignIn, { onStep: (s: Step) => steps.push(s) });
    await fireEvent.click(await screen.findByRole("button", { name: "Continue with Google" }));
    expect(await screen.findByText(/No Keyhaven Account uses this Google sign-in yet/)).toBeInTheDocument();
    const create = screen.getByRole("button", { name: "Create account" });
    await fireEvent.input(screen.getByLabelText("Mobile number"), { target: { value: "+44 7700 900456" } });
    expect(create).toBeDisabled();
    await fireEvent.click(await screen.findByLabelText(/I have read and accept the Web-Portal Statement \(version 3\)/));
    await fireEvent.click(create);
    await waitFor(() =>
      expect(calls).toContainEqual(["continue_browser_sign_in", { acceptedStatementVersion: 3, phone: "+44 7700 900456", password: null }]),
    );
    expect(steps[0]?.step).toBe("enter_code");
  });

  it("links an existing account with its password; a wrong one is said and can be corrected", async () => {
    let tries = 0;
    mockIPC((cmd, args) => {
      if (cmd === "sign_in_providers") return ["apple"];
      if (cmd === "start_browser_sign_in") return "http://127.0.0.1:8787/oauth/authorize?x=1";
      if (cmd === "finish_browser_sign_in") return { step: "link_with_password" };
      if (cmd === "continue_browser_sign_in") {
        tries += 1;
        if ((args as { password: string }).password !== "right password") throw problem("invalid_credentials");
        return SIGNED_IN;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const steps: Step[] = [];
    render(BrowserSignIn, { onStep: (s: Step) => steps.push(s) });
    await fireEvent.click(await screen.findByRole("button", { name: "Continue with Apple" }));
    expect(await screen.findByText(/Enter its account password once to add Apple/)).toBeInTheDocument();
    const password = screen.getByLabelText("Account password");
    await fireEvent.input(password, { target: { value: "wrong" } });
    await fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/do not match an account/);
    await fireEvent.input(password, { target: { value: "right password" } });
    await fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(steps).toEqual([SIGNED_IN]));
    expect(tries).toBe(2);
  });

  it("a cancel in the browser is said in words; Cancel here stops the wait", async () => {
    const calls: string[] = [];
    let finish: (value: unknown) => void = () => {};
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "sign_in_providers") return ["google"];
      if (cmd === "start_browser_sign_in") return "http://127.0.0.1:8787/oauth/authorize?x=1";
      if (cmd === "finish_browser_sign_in") {
        if (calls.filter((c) => c === cmd).length === 1) throw problem("browser_sign_in_cancelled");
        return new Promise((resolve) => (finish = resolve));
      }
      if (cmd === "cancel_browser_sign_in") {
        finish(null);
        return null;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    render(BrowserSignIn, { onStep: () => {} });
    await fireEvent.click(await screen.findByRole("button", { name: "Continue with Google" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("You cancelled the sign-in in your browser. Nothing was signed in.");
    await fireEvent.click(screen.getByRole("button", { name: "Continue with Google" }));
    expect(await screen.findByText(/Finish signing in with Google in your browser/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(calls).toContain("cancel_browser_sign_in"));
    expect(await screen.findByRole("button", { name: "Continue with Google" })).toBeInTheDocument();
  });
});
