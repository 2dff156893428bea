// The installed package (scripts/package-test.sh): /usr/bin/keyhaven-desktop starts, shows the
// welcome screen, and keeps a local vault in the data dir the install test checks after `dpkg -r`.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { after } from "node:test";

import { steps } from "../e2e/lib/steps.mjs";
import { Session, startDriver } from "../e2e/lib/webdriver.mjs";

const step = steps();

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const dataDir = process.env.KEYHAVEN_PACKAGE_DATA_DIR ?? "";
const MASTER = "correct horse battery staple";
/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

step("the installed app starts", async () => {
  assert.equal(application, "/usr/bin/keyhaven-desktop", "the install test runs the installed binary");
  assert.ok(dataDir, "KEYHAVEN_PACKAGE_DATA_DIR names the data dir the install test checks");
  driver = await startDriver({ KEYHAVEN_DATA_DIR: dataDir });
  session = await Session.create(driver.port, application);
});

after(async () => {
  await session?.delete();
  await driver?.stop();
});

step("it shows the welcome screen", async () => {
  assert.equal(await session.text("h1"), "Keyhaven");
  assert.equal(await session.text("button.primary"), "Connect to Keyhaven Account");
  const shot = await session.screenshot("installed-welcome");
  assert.ok(statSync(shot).size > 5_000, "the screenshot holds a rendered window");
});

step("it creates a local vault in the person's data dir", async () => {
  await session.click("button.secondary");
  await session.type("#master", MASTER);
  await session.type("#master-again", MASTER);
  await session.waitForText("[data-testid=strength-label]", /^Very strong|^Strong/);
  await session.click("button[type=submit]");
  await session.waitForText("#empty-title", /Your vault is empty/, 20_000);
  assert.ok(existsSync(path.join(dataDir, "vault.sqlite")), "the vault file exists");
});
