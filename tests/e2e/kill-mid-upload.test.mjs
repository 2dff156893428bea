// Creating an account later with a big local vault, and the app killed while its items go up:
// relaunched and unlocked, it finishes the upload; nothing is lost and nothing is doubled, as a
// second computer shows.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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
const EMAIL = "noor@example.com";
const ACCOUNT_PASSWORD = "a long account password";
const ITEMS = 3000;

/** @type {Awaited<ReturnType<typeof startService>>} */
let service;
const computers = new Computers(application);
/** @type {Session} */
let a;

step("the service and a computer start", async () => {
  service = await startService({ KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS: "1" });
  a = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
});

after(async () => {
  await computers.close();
  await service?.kill();
});

/** Every title of the vault, page by page, through the app's own command. @param {Session} session */
async function allTitles(session) {
  /** @type {string[]} */
  const titles = [];
  for (;;) {
    const page = await invoke(session, "list_items", { query: "", filter: { show: "all" }, offset: titles.length, limit: 500 });
    titles.push(.../** @type {{ title: string }[]} */ (page.items).map((item) => item.title));
    if (page.items.length === 0 || titles.length >= page.total) return titles;
  }
}

step("the app killed while uploading a 3,000-item local vault finishes after a relaunch, nothing lost or doubled", async () => {
  await a.click("button.secondary");
  await a.type("#master", MASTER);
  await a.type("#master-again", MASTER);
  await a.click("button[type=submit]");
  await a.waitForText("#empty-title", /Your vault is empty/, 20_000);
  await a.executeAsync(
    `const [count, done] = [arguments[0], arguments[arguments.length - 1]];
     (async () => {
       for (let i = 0; i < count; i++) {
         await window.__TAURI_INTERNALS__.invoke("add_item", { draft: { title: "Item " + String(i).padStart(4, "0"),
           content: { type: "login", username: "u" + i, password: "p" + i, urls: [], notes: "", totp_secret: null, custom_fields: [] },
           favourite: false, folder: null, tags: [] } });
       }
     })().then(() => done(true), (e) => done(String(e)));`,
    [ITEMS],
  );
  assert.equal((await allTitles(a)).length, ITEMS);

  await press(a, "Settings");
  await press(a, "Connect to Keyhaven Account…");
  await createAccount(a, service, { email: EMAIL, password: ACCOUNT_PASSWORD, phone: "+44 7700 900987" });
  await a.waitForText("#connect-vault-title", /Connect this computer's vault/);
  await submitMasterPassword(a, MASTER);
  // The vault is the account's now and its items are going up: kill the app once the first
  // of them reached the service.
  await a.waitForText("[data-testid=sync-status]", /Syncing/, 30_000);
  const deadline = Date.now() + 30_000;
  while (service.storedItems() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const app = execFileSync("pgrep", ["-g", String(a.group), "-x", "keyhaven-deskto"], { encoding: "utf8" }).trim().split("\n")[0];
  execFileSync("kill", ["-KILL", String(app)]);
  await a.delete().catch(() => {});
  const uploaded = service.storedItems();
  console.log(`killed with ${uploaded} of ${ITEMS} items at the service`);
  assert.ok(uploaded > 0, "the kill came after the upload began");

  a = await computers.relaunch(a);
  await a.type("#unlock-password", MASTER);
  await a.click("button[type=submit]");
  await a.waitForText("[data-testid=sync-status]", /^Synced/, 60_000);
  assert.equal((await allTitles(a)).length, ITEMS, "nothing lost here");

  const b = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
  try {
    await b.click("button.primary");
    await signIn(b, service, { email: EMAIL, password: ACCOUNT_PASSWORD });
    await b.waitForText("#connect-vault-title", /Unlock your vault/);
    await submitMasterPassword(b, MASTER);
    await b.waitForText("[data-testid=sync-status]", /^Synced/, 60_000);
    const titles = await allTitles(b);
    assert.equal(titles.length, ITEMS, "every item reached the account once");
    assert.equal(new Set(titles).size, ITEMS, "no item twice");
  } finally {
    await b.delete();
  }
});
