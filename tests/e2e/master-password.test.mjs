// The master password changed in the app (Settings → Security) on a connected computer: a second
// computer keeps working until it locks, then asks for the new one and says why; a new computer
// joins only with the new one. The vault's last change shows from its sealed state, and a service
// that goes back in time is named, with nothing changed here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after } from "node:test";

import { createAccount, press, signIn, submitMasterPassword } from "./lib/account-ui.mjs";
import { startService } from "./lib/service.mjs";
import { steps } from "./lib/steps.mjs";
import { addItem, waitForTitles } from "./lib/vault-ui.mjs";
import { Computers } from "./lib/webdriver.mjs";

const step = steps();

/** @typedef {import("./lib/webdriver.mjs").Session} Session */

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const PERSON = { email: "lin@example.com", password: "a long account password", phone: "+44 7700 900456" };
const MASTER = "correct horse battery staple";
const NEW_MASTER = "violet kettle harbour sixteen lanterns";

/** @type {Awaited<ReturnType<typeof startService>>} */
let service;
const computers = new Computers(application);
/** @type {Session} */
let a;
/** @type {Session} */
let b;

step("the service and two computers start", async () => {
  service = await startService({ KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS: "1" });
  a = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
  b = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
});

after(async () => {
  await computers.close();
  await service?.kill();
});

/** Runs SQL on the service's SQLite database, as a service that lies would change its data. */
function serviceSql(/** @type {string} */ statement) {
  execFileSync("python3", ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", path.join(service.dataDir, "keyhaven.db"), statement]);
}

/** @param {Session} session @param {RegExp} pattern */
const syncStatus = (session, pattern, timeoutMs = 20_000) => session.waitForText("[data-testid=sync-status]", pattern, timeoutMs);

step("both computers are on the account with one item", async () => {
  await a.click("button.primary");
  await createAccount(a, service, PERSON);
  await a.type("#connect-master", MASTER);
  await a.type("#connect-master-again", MASTER);
  await a.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
  await a.waitForText("#empty-title", /Your vault is empty/, 30_000);
  await addItem(a, "login", { title: "GitHub", username: "lin", password: "gh-1" });
  await syncStatus(a, /^Synced/);
  await a.waitForText("[data-testid=last-change]", /^Last changed just now on “.+”$/);

  await b.click("button.primary");
  await signIn(b, service, PERSON);
  await submitMasterPassword(b, MASTER);
  await waitForTitles(b, ["GitHub"], 30_000);
  await b.waitForText("[data-testid=last-change]", /^Last changed just now on “.+”$/);
  await b.screenshotsEverywhere("vault-last-change");
});

step("A changes the master password in Settings → Security", async () => {
  await press(a, "Settings");
  await press(a, "Change master password…");
  await a.type("#current-master", "not the master password");
  await a.type("#new-master", NEW_MASTER);
  await a.type("#new-master-again", NEW_MASTER);
  await a.waitForText("[data-testid=strength-label]", /^Very strong|^Strong/);
  await a.screenshotsEverywhere("settings-change-master-password");
  await a.click("form[aria-labelledby=change-master-title] button[type=submit]");
  await a.waitForText("form[aria-labelledby=change-master-title] [role=alert]", /master password is not right/, 30_000);
  await a.fill("#current-master", MASTER);
  await a.click("form[aria-labelledby=change-master-title] button[type=submit]");
  await a.waitForText("[data-testid=master-password-notice]", /Master password changed\. It goes to Keyhaven Account/, 30_000);
  await a.screenshot("settings-master-password-changed");
  await press(a, "Items");
  await syncStatus(a, /^Synced/);
  // Locked and unlocked again: only the new password opens it.
  await a.click("#lock");
  await a.type("#unlock-password", MASTER);
  await a.click("button[type=submit]");
  await a.waitForText("[role=alert]", /not right/, 30_000);
  await a.fill("#unlock-password", NEW_MASTER);
  await a.click("button[type=submit]");
  await waitForTitles(a, ["GitHub"], 30_000);
});

step("B keeps working, then asks for the new password and says why", async () => {
  await press(b, "Sync now");
  await syncStatus(b, /^Synced/);
  await waitForTitles(b, ["GitHub"]);
  await b.click("#lock");
  await b.type("#unlock-password", MASTER);
  await b.click("button[type=submit]");
  await b.waitForText("[role=alert]", /Your master password was changed on another device \(.+\)\. Enter the new one\./, 30_000);
  await b.screenshotsEverywhere("unlock-master-password-changed");
  await b.fill("#unlock-password", NEW_MASTER);
  await b.click("button[type=submit]");
  await waitForTitles(b, ["GitHub"], 30_000);
  await syncStatus(b, /^Synced/);
});

step("a new computer joins only with the new password", async () => {
  const c = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
  try {
    await c.click("button.primary");
    await signIn(c, service, PERSON);
    await submitMasterPassword(c, MASTER);
    await c.waitForText("[role=alert]", /master password is not right/, 30_000);
    await c.fill("#connect-master", NEW_MASTER);
    await c.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
    await waitForTitles(c, ["GitHub"], 30_000);
  } finally {
    await c.delete();
  }
});

step("a service gone back in time is named, and nothing changes here", async () => {
  serviceSql("UPDATE vaults SET revision = revision - 1");
  await press(b, "Sync now");
  await syncStatus(b, /^Rejected service data/);
  await b.waitForText("[data-testid=sync-unverified]", /^The Keyhaven Account service returned a vault that does not match what your devices wrote .*Nothing was changed on this computer\.$/);
  await waitForTitles(b, ["GitHub"]);
  await b.screenshotsEverywhere("vault-service-data-unverified");
  await press(b, "Settings");
  await b.waitForText("[data-testid=settings-sync-status]", /^Rejected service data/);
  await b.screenshotsEverywhere("settings-service-data-unverified");
  // The service comes back to what it was: sync goes on.
  serviceSql("UPDATE vaults SET revision = revision + 1");
  await press(b, "Items");
  await press(b, "Sync now");
  await syncStatus(b, /^Synced/);
  assert.equal(await b.execute("return !!document.querySelector('[data-testid=sync-unverified]')"), false);
});
