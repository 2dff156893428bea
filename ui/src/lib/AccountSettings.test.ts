import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AccountView } from "./bindings";
import AccountSettings from "./AccountSettings.svelte";
import { syncLine } from "./account";
import { NOTHING_TO_REPORT, NOT_CONNECTED } from "../test-fixtures";

const SIGN_IN_METHODS = { password: true, providers: [], can_remove: true, can_add: [] };

const SIGNED_IN: AccountView = {
  ...NOT_CONNECTED,
  signed_in: true,
  email: "ada@example.com",
  device_id: "d1",
  sync: { state: "synced", last_synced_at: Date.now(), error: null, conflicts: 0, sending: null },
};
const DEVICES = [
  { id: "d1", name: "ada on laptop", platform: "linux", created_at: 1, last_seen_at: 2, current: true },
  { id: "d2", name: "ada on desktop", platform: "linux", created_at: 1, last_seen_at: 2, current: false },
];

describe("AccountSettings", () => {
  it("says a local vault stays on this computer", async () => {
    mockIPC((cmd) => (cmd === "account_status" ? NOT_CONNECTED : null));
    let connecting = 0;
    render(AccountSettings, { onConnect: () => (connecting += 1) });
    expect(await screen.findByText(/on this computer only and nothing leaves it/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Connect to Keyhaven Account…" }));
    expect(connecting).toBe(1);
  });

  it("an account made with a provider is told that its password-confirmed settings wait for a password", async () => {
    mockIPC((cmd) => {
      if (cmd === "account_status") return SIGNED_IN;
      if (cmd === "vault_integrity") return NOTHING_TO_REPORT;
      if (cmd === "list_devices") return DEVICES;
      if (cmd === "account_details") return { phone_hint: "+…23", two_step_enabled: true };
      if (cmd === "sign_in_methods") return { ...SIGN_IN_METHODS, password: false, can_remove: false };
      throw new Error(`unexpected command ${cmd}`);
    });
    render(AccountSettings, { onConnect: () => {} });
    expect(await screen.findByTestId("needs-password")).toHaveTextContent("add one under Sign-in methods");
    expect(screen.queryByRole("button", { name: "Delete account…" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Change number…" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Add a password…" })).toBeInTheDocument();
  });

  it("lists devices, revokes another one after confirmation, and signs out keeping the local copy", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "account_status") return SIGNED_IN;
      if (cmd === "vault_integrity") return NOTHING_TO_REPORT;
      if (cmd === "list_devices") return DEVICES;
      if (cmd === "revoke_device") return null;
      if (cmd === "sign_out") return NOT_CONNECTED;
      if (cmd === "account_details") return { phone_hint: "+…23", two_step_enabled: true };
      if (cmd === "sign_in_methods") return SIGN_IN_METHODS;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(AccountSettings, { onConnect: () => {} });
    expect(await screen.findByTestId("account-email")).toHaveTextContent("ada@example.com");
    expect(await screen.findByText("ada on laptop")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Revoke ada on laptop" })).not.toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Revoke ada on desktop" }));
    await fireEvent.click(screen.getByRole("button", { name: "Sign it out" }));
    await waitFor(() => expect(calls).toContainEqual(["revoke_device", { deviceId: "d2" }]));
    expect(await screen.findByRole("status")).toHaveTextContent("“ada on desktop” is signed out");

    await fireEvent.click(screen.getByRole("button", { name: "Sign out…" }));
    expect(screen.getByLabelText(/Keep a copy of the vault on this computer/)).toBeChecked();
    await fireEvent.click(screen.getByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(calls).toContainEqual(["sign_out", { keepLocalCopy: true }]));
    expect(await screen.findByText(/Your vault stays on this computer and no longer syncs/)).toBeInTheDocument();
  });

  it("changes the phone number with the account password and a code sent to the new number", async () => {
    const calls: [string, unknown][] = [];
    let hint = "+…23";
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "account_status") return SIGNED_IN;
      if (cmd === "vault_integrity") return NOTHING_TO_REPORT;
      if (cmd === "list_devices") return DEVICES;
      if (cmd === "account_details") return { phone_hint: hint, two_step_enabled: true };
      if (cmd === "change_phone") return { phone_hint: "+…99", expires_in_seconds: 600, resend_after_seconds: 60, sent: true };
      if (cmd === "confirm_phone_change") {
        hint = "+…99";
        return null;
      }
      if (cmd === "sign_in_methods") return SIGN_IN_METHODS;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(AccountSettings, { onConnect: () => {} });
    await waitFor(() => expect(screen.getByTestId("account-phone")).toHaveTextContent("+…23"));
    await fireEvent.click(screen.getByRole("button", { name: "Change number…" }));
    await fireEvent.input(screen.getByLabelText("New mobile number"), { target: { value: "+44 7700 900999" } });
    await fireEvent.input(screen.getByLabelText("Account password"), { target: { value: "account password 1" } });
    await fireEvent.click(screen.getByRole("button", { name: "Send a code" }));
    await fireEvent.input(await screen.findByLabelText("Code sent to +…99"), { target: { value: "123456" } });
    await fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(screen.getByTestId("account-phone")).toHaveTextContent("+…99"));
    expect(calls).toContainEqual(["change_phone", { password: "account password 1", phone: "+44 7700 900999" }]);
    expect(calls).toContainEqual(["confirm_phone_change", { code: "123456" }]);
    expect(screen.getByTestId("account-notice")).toHaveTextContent("Security codes now go to +…99.");
  });

  it("words every sync state", () => {
    const at = (state: AccountView["sync"]["state"], last: number | null = null) =>
      syncLine({ state, last_synced_at: last, error: null, conflicts: 0, sending: null }, 1_000_000);
    expect(at("synced", 1_000_000 - 5_000)).toBe("Synced just now");
    expect(
      syncLine({ state: "syncing", last_synced_at: null, error: null, conflicts: 0, sending: { sent: 500, total: 1200 } }),
    ).toBe("Syncing… 500 of 1200 changes sent");
    expect(at("synced", 1_000_000 - 300_000)).toBe("Synced 5 min ago");
    expect(at("offline", 1_000_000 - 120_000)).toBe("Offline · changes wait");
    expect(at("sign_in_required")).toBe("Sign in again to sync");
    expect(at("syncing")).toBe("Syncing…");
    expect(at("not_connected")).toBe("On this computer only");
  });
});

describe("AccountSettings: what the vault's sealed state says", () => {
  it("shows when and where the vault last changed, and the items that could not be verified", async () => {
    mockIPC((cmd) => {
      if (cmd === "account_status") return SIGNED_IN;
      if (cmd === "list_devices") return DEVICES;
      if (cmd === "account_details") return { phone_hint: "+…23", two_step_enabled: true };
      if (cmd === "vault_integrity")
        return {
          last_change: { at: Date.now() - 5 * 60_000, device_name: "ada on desktop" },
          quarantined: [
            {
              item_id: "11111111-1111-4111-8111-111111111111",
              reason: "the copy from Keyhaven Account failed its integrity check",
              found_at: 3,
            },
          ],
        };
      if (cmd === "sign_in_methods") return SIGN_IN_METHODS;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(AccountSettings, { onConnect: () => {} });
    expect(await screen.findByTestId("settings-last-change")).toHaveTextContent("Last changed 5 min ago on “ada on desktop”.");
    const quarantine = await screen.findByTestId("quarantine");
    expect(quarantine).toHaveTextContent("1 item from Keyhaven Account could not be verified");
    expect(quarantine).toHaveTextContent("this computer's copies are unchanged");
    expect(quarantine).toHaveTextContent("11111111-1111-4111-8111-111111111111: the copy from Keyhaven Account failed its integrity check");
  });
});
