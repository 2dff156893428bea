// Without an account first, then with one: the reminders to connect come on schedule (the
// reminders' clock is fast-forwarded through KEYHAVEN_REMINDER_CLOCK_OFFSET_FILE; restarts keep
// the schedule), the reminder's "Create account" turns the 50-item local vault into the
// account's vault, a second computer gets all 50, and no reminder comes after connecting. A
// third computer with a local vault of its own adds its items to the account's vault (exact
// duplicates once).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";

import { createAccount, press, signIn, submitMasterPassword } from "./lib/account-ui.mjs";
import { startService } from "./lib/service.mjs";
import { steps } from "./lib/steps.mjs";
import { invoke } from "./lib/vault-ui.mjs";
import { Computers } from "./lib/webdriver.mjs";

const step = steps();

/** @typedef {import("./lib/webdriver.mjs").Session} Session */

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const MASTER = "correct horse battery staple";
const DAY = 24 * 60 * 60;
const ITEMS = 50;
const EMAIL = "lin@example.com";
const ACCOUNT_PASSWORD = "a long account password";

const clockFile = path.join(mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-clock-")), "offset");
/** Moves the reminders' clock to `days` after now. @param {number} days */
const fastForward = (days) => writeFileSync(clockFile, String(Math.round(days * DAY)));

/** @type {Awaited<ReturnType<typeof startService>>} */
let service;
const computers = new Computers(application);
/** @type {Session} */
let a;

step("the service and a computer without an account start", async () => {
  fastForward(0);
  service = await startService({ KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS: "1" });
  a = await computers.open({ KEYHAVEN_SERVICE_URL: service.url, KEYHAVEN_REMINDER_CLOCK_OFFSET_FILE: clockFile });
});

after(async () => {
  await computers.close();
  await service?.kill();
});

/**
 * A login draft for `add_item`.
 * @param {string} title @param {string} username @param {string} password
 */
const loginDraft = (title, username, password) => ({
  title,
  content: { type: "login", username, password, urls: [], notes: "", totp_secret: null, custom_fields: [] },
  favourite: false,
  folder: null,
  tags: [],
});

/** Whether the reminder is on screen once the window got focus (the app then asks whether one is due). */
async function reminderShown(/** @type {Session} */ session) {
  await session.execute("window.dispatchEvent(new Event('focus'))");
  await new Promise((r) => setTimeout(r, 600));
  return session.execute("return !!document.querySelector('aside[aria-labelledby=reminder-title]')");
}

/** Restarts the app on the same data dir and unlocks it. */
async function restart() {
  await a.delete();
  a = await computers.relaunch(a);
  await a.type("#unlock-password", MASTER);
  await a.click("button[type=submit]");
  await a.find("[role=listbox][aria-label=Items]", 20_000);
}

step("a vault without an account gets reminders after 1, 3 and 7 days, kept across restarts, never over an open editor", async () => {
  await a.click("button.secondary");
  await a.type("#master", MASTER);
  await a.type("#master-again", MASTER);
  await a.click("button[type=submit]");
  await a.waitForText("#empty-title", /Your vault is empty/, 20_000);
  for (let i = 1; i <= ITEMS; i++) {
    await invoke(a, "add_item", { draft: loginDraft(`Site ${String(i).padStart(2, "0")}`, `user${i}`, `pw-${i}`) });
  }
  assert.equal(await reminderShown(a), false, "not on the first day");

  fastForward(1.01);
  // An item being written holds the reminder back…
  await a.execute(
    "const s = document.querySelector('select[aria-label=\"New item\"]'); s.value = 'login'; s.dispatchEvent(new Event('change', { bubbles: true }));",
  );
  await a.find("#editor-title");
  assert.equal(await reminderShown(a), false, "never over an open edit form");
  await press(a, "Cancel");
  // …and it shows once the editor is closed.
  await a.waitForText("#reminder-title", /Your vault is only on this computer/);
  await press(a, "Later");
  assert.equal(await reminderShown(a), false, "Later is respected");

  fastForward(2.5);
  assert.equal(await reminderShown(a), false);
  fastForward(3.02);
  assert.equal(await reminderShown(a), true, "day 3");
  await press(a, "Later");

  // The schedule is in a file: after a restart the next one is still due on day 7. (A schedule
  // started afresh at day 5 would remind on day 6.)
  fastForward(5);
  await restart();
  assert.equal(await reminderShown(a), false);
  fastForward(6.5);
  assert.equal(await reminderShown(a), false, "the schedule survived the restart");
  fastForward(7.03);
  assert.equal(await reminderShown(a), true, "day 7");
  await a.screenshot("reminder-to-connect");
});

step("the reminder's Create account makes the local vault the account's; a second computer gets every item; no reminder after connecting", async () => {
  // The first "Create account" button on screen is the reminder's: it opens account creation.
  await createAccount(a, service, { email: EMAIL, password: ACCOUNT_PASSWORD, phone: "+44 7700 900321" });
  await a.waitForText("#connect-vault-title", /Connect this computer's vault/);
  await a.screenshot("create-account-later-connect-local-vault");
  await submitMasterPassword(a, MASTER);
  await a.waitForText("[data-testid=sync-status]", /^Synced/, 30_000);

  fastForward(60);
  assert.equal(await reminderShown(a), false, "connected: no more reminders");

  const b = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
  try {
    await b.click("button.primary");
    await new Promise((r) => setTimeout(r, 1_500)); // the resend cooldown of the sign-up code
    await signIn(b, service, { email: EMAIL, password: ACCOUNT_PASSWORD });
    await b.waitForText("#connect-vault-title", /Unlock your vault/);
    await submitMasterPassword(b, MASTER);
    await b.waitForText("[data-testid=sync-status]", /^Synced/, 30_000);
    const page = await invoke(b, "list_items", { query: "", filter: { show: "all" }, offset: 0, limit: 100 });
    assert.equal(page.total, ITEMS);
    const expected = Array.from({ length: ITEMS }, (_, i) => `Site ${String(i + 1).padStart(2, "0")}`);
    assert.deepEqual(page.items.map((/** @type {{ title: string }} */ item) => item.title).sort(), expected);
    await b.screenshot("create-account-later-second-computer");
  } finally {
    await b.delete();
  }
});

step("a computer with a vault of its own connects to the account: its items are added to the account's vault, exact duplicates once", async () => {
  const c = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
  try {
    const LOCAL_MASTER = "a different local master passphrase";
    await c.click("button.secondary");
    await c.type("#master", LOCAL_MASTER);
    await c.type("#master-again", LOCAL_MASTER);
    await c.click("button[type=submit]");
    await c.waitForText("#empty-title", /Your vault is empty/, 20_000);
    await invoke(c, "add_item", { draft: loginDraft("Site 01", "user1", "pw-1") }); // the same as the account's
    await invoke(c, "add_item", { draft: loginDraft("Site 02", "user2", "changed here") });
    await invoke(c, "add_item", { draft: loginDraft("Only here", "lin", "local-1") });

    await press(c, "Settings");
    await press(c, "Connect to Keyhaven Account…");
    await new Promise((r) => setTimeout(r, 1_500));
    await signIn(c, service, { email: EMAIL, password: ACCOUNT_PASSWORD });
    await c.waitForText("#connect-vault-title", /Add this computer's items to your account/);
    await c.screenshot("merge-local-vault-into-account");
    await c.type("#connect-master", "not the account's master password");
    await c.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
    await c.waitForText("[role=alert]", /master password is not right/, 30_000);
    assert.equal((await invoke(c, "list_items", { query: "", filter: { show: "all" }, offset: 0, limit: 100 })).total, 3, "nothing changed");
    await c.fill("#connect-master", MASTER);
    await c.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
    await c.waitForText("[data-testid=sync-status]", /^Synced/, 30_000);
    const page = await invoke(c, "list_items", { query: "", filter: { show: "all" }, offset: 0, limit: 100 });
    assert.equal(page.total, ITEMS + 2, "50 from the account + 'Site 02' as changed here + 'Only here'; 'Site 01' once");
    assert.equal(page.items.filter((/** @type {{ title: string }} */ i) => i.title === "Site 01").length, 1);
    assert.equal(page.items.filter((/** @type {{ title: string }} */ i) => i.title === "Site 02").length, 2);

    // The vault now opens with the account's master password.
    await c.click("#lock");
    await c.type("#unlock-password", MASTER);
    await c.click("button[type=submit]");
    await c.find("[role=listbox][aria-label=Items]", 20_000);
  } finally {
    await c.delete();
  }
});
