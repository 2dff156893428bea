import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import SignInMethods from "./SignInMethods.svelte";

const GOOGLE = { id: "g-id", provider: "google", linked_at: Date.UTC(2026, 0, 5) };
const APPLE = { id: "a-id", provider: "apple", linked_at: Date.UTC(2026, 11, 1) };
const ONLY_GOOGLE = { password: false, providers: [GOOGLE], can_remove: false, can_add: ["google", "apple"] };

describe("SignInMethods", () => {
  it("adds a provider through the browser, and removes one only while another way to sign in remains", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "sign_in_methods") return ONLY_GOOGLE;
      if (cmd === "start_browser_sign_in") return "http://127.0.0.1:8787/oauth/authorize?provider=apple";
      if (cmd === "finish_adding_sign_in_method") return { ...ONLY_GOOGLE, providers: [GOOGLE, APPLE], can_remove: true };
      if (cmd === "remove_sign_in_method") return { ...ONLY_GOOGLE, providers: [APPLE] };
      throw new Error(`unexpected command ${cmd}`);
    });
    const onNotice = vi.fn();
    render(SignInMethods, { onNotice });
    const list = await screen.findByRole("list", { name: "Sign-in methods" });
    expect(list).toHaveTextContent("Google");
    expect(list).toHaveTextContent("none: this account signs in with a provider");
    expect(screen.getByRole("button", { name: "Remove Google" })).toBeDisabled();
    expect(screen.getByTestId("last-method")).toHaveTextContent("only way to sign in");

    await fireEvent.click(screen.getByRole("button", { name: "Add Apple…" }));
    await waitFor(() => expect(onNotice).toHaveBeenCalledWith("You can now sign in to your account with Apple."));
    expect(calls).toContainEqual(["start_browser_sign_in", { provider: "apple" }]);
    expect(screen.getByRole("list", { name: "Sign-in methods" })).toHaveTextContent("Apple");
    expect(screen.queryByTestId("last-method")).not.toBeInTheDocument();

    await fireEvent.click(screen.getByRole("button", { name: "Remove Google" }));
    await fireEvent.click(screen.getByRole("button", { name: "Remove it" }));
    await waitFor(() => expect(onNotice).toHaveBeenCalledWith("Google no longer signs in to your account."));
    expect(calls).toContainEqual(["remove_sign_in_method", { id: "g-id" }]);
    expect(screen.getByRole("list", { name: "Sign-in methods" })).not.toHaveTextContent("Google");
  });

  it("gives an account made with a provider an account password, confirmed by the code sent to its phone", async () => {
    const calls: [string, unknown][] = [];
    let methods = ONLY_GOOGLE;
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "sign_in_methods") return methods;
      if (cmd === "add_account_password") return { phone_hint: "+…23", expires_in_seconds: 600, resend_after_seconds: 60, sent: true };
      if (cmd === "confirm_account_password") {
        methods = { ...ONLY_GOOGLE, password: true, can_remove: true };
        return null;
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    const onNotice = vi.fn();
    const onLoaded = vi.fn();
    render(SignInMethods, { onNotice, onLoaded });
    await fireEvent.click(await screen.findByRole("button", { name: "Add a password…" }));
    const form = screen.getByRole("form", { name: "Add an account password" });
    const [first, second] = form.querySelectorAll("input[type=password]");
    await fireEvent.input(first!, { target: { value: "a long account password" } });
    await fireEvent.input(second!, { target: { value: "a long account password" } });
    await fireEvent.click(screen.getByRole("button", { name: "Send a code" }));
    await fireEvent.input(await screen.findByLabelText("Code sent to +…23"), { target: { value: "123456" } });
    await fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(onNotice).toHaveBeenCalledWith(expect.stringMatching(/has an account password now/)));
    expect(calls).toContainEqual(["add_account_password", { password: "a long account password" }]);
    expect(calls).toContainEqual(["confirm_account_password", { code: "123456" }]);
    await waitFor(() => expect(onLoaded).toHaveBeenLastCalledWith(expect.objectContaining({ password: true })));
    expect(screen.getByRole("list", { name: "Sign-in methods" })).toHaveTextContent("your email and account password");
  });

  it("says why a removal was refused", async () => {
    mockIPC((cmd) => {
      if (cmd === "sign_in_methods") return { ...ONLY_GOOGLE, password: true, can_remove: true };
      if (cmd === "remove_sign_in_method")
        throw { code: "last_sign_in_method", message: "This is the account's only way to sign in, so it cannot be removed." };
      throw new Error(`unexpected command ${cmd}`);
    });
    render(SignInMethods, { onNotice: () => {} });
    expect(await screen.findByRole("list", { name: "Sign-in methods" })).toHaveTextContent("Account password");
    await fireEvent.click(screen.getByRole("button", { name: "Remove Google" }));
    await fireEvent.click(screen.getByRole("button", { name: "Remove it" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("only way to sign in");
  });
});
