import type { AccountView, VaultIntegrity } from "./lib/bindings";

/** A device that has not connected to Keyhaven Account: what `account_status` answers. */
export const NOT_CONNECTED: AccountView = {
  signed_in: false,
  email: null,
  service_url: "http://127.0.0.1:8787",
  device_id: null,
  other_os_user_connected: false,
  sync: { state: "not_connected", last_synced_at: null, error: null, conflicts: 0, sending: null },
};

/** A vault whose sealed state has nothing to report yet: what `vault_integrity` answers. */
export const NOTHING_TO_REPORT: VaultIntegrity = { last_change: null, quarantined: [] };
