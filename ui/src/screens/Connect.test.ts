import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import Connect from "./Connect.svelte";
import { NOT_CONNECTED } from "../test-fixtures";

const CODE_SENT = { phone_hint: "+…23", expires_in_seconds: 600, resend_after_seconds: 60, sent: true };
const STATEMENT = { version: 3, text: "We keep only ciphertext. You accept these terms." };
const STRONG = { score: 4, guesses_log10: 20, crack_time: "centuries", warning: null, suggestions: [] };

function error(code: string, extra: Record<string, unknown> = {}) {
  return { code, message: code, retry_after_seconds: null, tries_left: null, statement_version: null, ...extra };
}

type Handler = (cmd: string, args: Record<string, unknown>) => unknown;

/** Records every call; `handler` answers, throwing `{ error }` objects as command errors. */
function mock(handler: Handler) {
  const calls: [string, Record<string, unknown>][] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push([cmd, a]);
    if (cmd === "get_statement") return STATEMENT;
    if (cmd === "password_strength") return STRONG;
    if (cmd === "cancel_sign_in") return null;
    if (cmd === "sign_in_providers") return [];
    return handler(cmd, a);
  });
  return calls;
}

async function signIn() {
  await fireEvent.input(screen.getByLabelText("Email"), { target: { value: "ada@example.com" } });
  await fireEvent.input(screen.getByLabelText("Account password"), { target: { value: "account password 1" } });
  await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("Connect", () => {
  it("signs in, takes a pasted SMS code, then unlocks the account's vault", async () => {
    const calls = mock((cmd) => {
      if (cmd === "sign_in") return { step: "enter_code", code_sent: CODE_SENT };
      if (cmd === "verify_code")
        return { step: "connect_vault", email: "ada@example.com", vault_step: "unlock_account_vault", other_os_user_connected: false };
      if (cmd === "connect_vault") return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    const onConnected = vi.fn();
    render(Connect, { onConnected, onBack: () => {} });
    await signIn();
    expect(await screen.findByRole("heading", { name: "Enter the security code" })).toBeInTheDocument();
    expect(screen.getByTestId("phone-hint")).toHaveTextContent("+…23");
    const first = screen.getByLabelText("Digit 1 of 6");
    await fireEvent.paste(first, { clipboardData: { getData: () => "123 456" } });
    expect(await screen.findByRole("heading", { name: "Unlock your vault" })).toBeInTheDocument();
    expect(calls).toContainEqual(["verify_code", { code: "123456" }]);
    await fireEvent.input(screen.getByLabelText("Master password"), { target: { value: "correct horse battery staple" } });
    await fireEvent.click(screen.getByRole("button", { name: "Unlock" }));
    await waitFor(() => expect(onConnected).toHaveBeenCalledOnce());
    expect(calls).toContainEqual(["connect_vault", { masterPassword: "correct horse battery staple", shareWithOtherOsUser: false }]);
  });

  it("explains a wrong code with the tries left, counts down to a new code and helps when no SMS comes", async () => {
    let resendAfter = 60;
    const calls = mock((cmd) => {
      if (cmd === "sign_up") return { step: "enter_code", code_sent: { ...CODE_SENT, resend_after_seconds: resendAfter } };
      if (cmd === "verify_code") throw error("sms_code_invalid", { tries_left: 3 });
      if (cmd === "resend_code") return CODE_SENT;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Connect, { onConnected: () => {}, onBack: () => {} });
    await fireEvent.click(screen.getByRole("tab", { name: "Create account" }));
    await fireEvent.input(screen.getByLabelText("Email"), { target: { value: "ada@example.com" } });
    await fireEvent.input(screen.getByLabelText("Account password"), { target: { value: "account password 1" } });
    await fireEvent.input(screen.getByLabelText("Mobile number"), { target: { value: "+44 7700 900123" } });
    const create = screen.getByRole("button", { name: "Create account" });
    await screen.findByText(/We keep only ciphertext/);
    expect(create).toBeDisabled();
    await fireEvent.click(screen.getByLabelText(/I have read and accept the Web-Portal Statement \(version 3\)/));
    await fireEvent.click(create);
    await screen.findByRole("heading", { name: "Enter the security code" });
    expect(calls).toContainEqual([
      "sign_up",
      { email: "ada@example.com", password: "account password 1", phone: "+44 7700 900123", acceptedStatementVersion: 3 },
    ]);

    await fireEvent.paste(screen.getByLabelText("Digit 1 of 6"), { clipboardData: { getData: () => "000000" } });
    expect(await screen.findByRole("alert")).toHaveTextContent("That code is not right. You have 3 tries left.");
    expect(screen.getByRole("button", { name: "Send a new code" })).toBeDisabled();
    expect(screen.getByTestId("resend-countdown")).toHaveTextContent("available in 60 s");

    await fireEvent.click(screen.getByRole("button", { name: "I didn't get the SMS" }));
    const help = screen.getByRole("region", { name: "If the SMS does not arrive" });
    expect(help).toHaveTextContent("+…23");
    expect(help).toHaveTextContent("blocked senders");
    await fireEvent.click(screen.getByRole("button", { name: "Change the number" }));
    expect(screen.getByLabelText("Mobile number")).toHaveValue("+44 7700 900123");
    expect(screen.getByLabelText("Email")).toHaveValue("ada@example.com");

    resendAfter = 0;
    await fireEvent.click(await screen.findByLabelText(/I have read and accept/));
    await fireEvent.input(screen.getByLabelText("Account password"), { target: { value: "account password 1" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create account" }));
    await screen.findByRole("heading", { name: "Enter the security code" });
    await fireEvent.click(screen.getByRole("button", { name: "Send a new code" }));
    expect(await screen.findByRole("status")).toHaveTextContent("A new code is on its way to +…23.");
  });

  it("waits for its code when the number got one a moment ago, and asks for it by itself", async () => {
    const calls = mock((cmd) => {
      if (cmd === "sign_in") return { step: "enter_code", code_sent: { ...CODE_SENT, resend_after_seconds: 1, sent: false } };
      if (cmd === "resend_code") return CODE_SENT;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Connect, { onConnected: () => {}, onBack: () => {} });
    await signIn();
    expect(await screen.findByTestId("code-held")).toHaveTextContent("+…23 got a code a moment ago, for another sign-in.");
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Your code is on its way to +…23."));
    expect(calls.filter(([cmd]) => cmd === "resend_code")).toHaveLength(1);
    expect(screen.getByText(/We sent a 6-digit code by SMS to/)).toBeInTheDocument();
  });

  it("shows a newer statement when signing in needs it, and signs in again once it is accepted", async () => {
    const calls = mock((cmd, args) => {
      if (cmd === "sign_in" && args.acceptedStatementVersion !== 3) return { step: "accept_statement", version: 3 };
      if (cmd === "sign_in") return { step: "enter_code", code_sent: CODE_SENT };
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Connect, { onConnected: () => {}, onBack: () => {} });
    await signIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("A new version of the Web-Portal Statement");
    await screen.findByText(/We keep only ciphertext/);
    expect(screen.getByRole("button", { name: "Sign in" })).toBeDisabled();
    await fireEvent.click(screen.getByLabelText(/I have read and accept/));
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("heading", { name: "Enter the security code" });
    expect(calls.filter(([cmd]) => cmd === "sign_in").map(([, a]) => a.acceptedStatementVersion)).toEqual([null, 3]);
  });

  it("asks the account's first device for a new master password, twice, and warns about a shared computer", async () => {
    mock((cmd) => {
      if (cmd === "sign_in")
        return { step: "connect_vault", email: "ada@example.com", vault_step: "create_account_vault", other_os_user_connected: true };
      if (cmd === "connect_vault") return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Connect, { onConnected: () => {}, onBack: () => {} });
    await signIn();
    expect(await screen.findByRole("heading", { name: "Another user of this computer uses this account" })).toBeInTheDocument();
    expect(screen.queryByLabelText("Master password")).not.toBeInTheDocument();
    const share = screen.getByRole("button", { name: "Share the vault and go on" });
    expect(share).toBeDisabled();
    await fireEvent.click(screen.getByLabelText("I understand that we will share every password"));
    await fireEvent.click(share);
    expect(await screen.findByRole("heading", { name: "Create your master password" })).toBeInTheDocument();
    await fireEvent.input(screen.getByLabelText("Master password"), { target: { value: "one long passphrase" } });
    await fireEvent.input(screen.getByLabelText("Type it again"), { target: { value: "another passphrase" } });
    await waitFor(() => expect(screen.getByRole("button", { name: "Create vault" })).toBeEnabled());
    await fireEvent.click(screen.getByRole("button", { name: "Create vault" }));
    expect(await screen.findByText("The two passwords are not the same.")).toBeInTheDocument();
  });

  it("a shared computer: 'Use a separate account' signs this device out and connects nothing", async () => {
    const calls: string[] = [];
    mock((cmd) => {
      calls.push(cmd);
      if (cmd === "sign_in")
        return { step: "connect_vault", email: "ada@example.com", vault_step: "unlock_account_vault", other_os_user_connected: true };
      if (cmd === "sign_out") return NOT_CONNECTED;
      if (cmd === "cancel_sign_in") return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(Connect, { onConnected: () => {}, onBack: () => {} });
    await signIn();
    await fireEvent.click(await screen.findByRole("button", { name: "Use a separate account" }));
    expect(await screen.findByRole("tablist")).toBeInTheDocument();
    expect(calls).toContain("sign_out");
    expect(calls).not.toContain("connect_vault");
  });
});
