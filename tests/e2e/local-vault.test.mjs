// The local vault without an account: get started, the empty vault, lock, a wrong password, unlock.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Session, startDriver } from "./lib/webdriver.mjs";

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const MASTER = "correct horse battery staple";
/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

before(async () => {
  driver = await startDriver();
  session = await Session.create(driver.port, application);
});

after(async () => {
  await session?.delete();
  await driver?.stop();
});

test("getting started creates a vault behind a strong master password", async () => {
  await session.click("button.secondary");
  await session.find("#master");
  await session.screenshot("get-started-empty");
  await session.type("#master", "password1");
  await session.waitForText("[data-testid=strength-label]", /^Too guessable/);
  assert.equal(await session.execute("return document.querySelector('button[type=submit]').disabled"), true);
  await session.screenshot("get-started-weak");

  await session.execute("const i = document.querySelector('#master'); i.value = ''; i.dispatchEvent(new Event('input'))");
  await session.type("#master", MASTER);
  await session.type("#master-again", MASTER);
  await session.waitForText("[data-testid=strength-label]", /^Very strong|^Strong/);
  await session.screenshot("get-started-strong");
  await session.click("button[type=submit]");
  await session.waitForText("#empty-title", /Your vault is empty/, 20_000);
  await session.screenshot("vault-empty");
});

test("locking asks for the master password; a wrong one is explained and changes nothing", async () => {
  await session.click("header button");
  await session.find("#unlock-password");
  await session.type("#unlock-password", "not my password");
  await session.click("button[type=submit]");
  await session.waitForText("[role=alert]", /not right/, 20_000);
  await session.screenshot("unlock-wrong-password");

  await session.execute("const i = document.querySelector('#unlock-password'); i.value = ''; i.dispatchEvent(new Event('input'))");
  await session.type("#unlock-password", MASTER);
  await session.click("button[type=submit]");
  await session.waitForText("#empty-title", /Your vault is empty/, 20_000);
});

test("the unlock screen in the dark theme", async () => {
  await session.click("header button");
  await session.find("#unlock-password");
  await session.execute("document.documentElement.dataset.theme = 'dark'");
  await session.screenshot("unlock-dark");
});
