// The local vault without an account: get started, the empty vault, lock, a wrong password, unlock.
import assert from "node:assert/strict";
import { after } from "node:test";

import { steps } from "./lib/steps.mjs";
import { addItem as addVaultItem, waitForTitles as waitForListed } from "./lib/vault-ui.mjs";
import { Session, startDriver } from "./lib/webdriver.mjs";

const step = steps();

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const MASTER = "correct horse battery staple";
/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

step("the app starts", async () => {
  driver = await startDriver();
  session = await Session.create(driver.port, application);
});

after(async () => {
  await session?.delete();
  await driver?.stop();
});

step("getting started creates a vault behind a strong master password", async () => {
  await session.click("button.secondary");
  await session.find("#master");
  await session.screenshot("get-started-empty");
  await session.type("#master", "password1");
  await session.waitForText("[data-testid=strength-label]", /^Too guessable/);
  assert.equal(await session.execute("return document.querySelector('button[type=submit]').disabled"), true);
  await session.screenshot("get-started-weak");

  await session.fill("#master", MASTER);
  await session.type("#master-again", MASTER);
  await session.waitForText("[data-testid=strength-label]", /^Very strong|^Strong/);
  await session.screenshot("get-started-strong");
  await session.execute("document.documentElement.dataset.theme = 'dark'");
  await session.screenshot("get-started-strong-dark");
  await session.execute("document.documentElement.dataset.theme = 'light'");
  await session.click("button[type=submit]");
  await session.waitForText("#empty-title", /Your vault is empty/, 20_000);
  await session.screenshot("vault-empty");
});

step("locking asks for the master password; a wrong one is explained and changes nothing", async () => {
  await session.click("#lock");
  await session.find("#unlock-password");
  await session.type("#unlock-password", "not my password");
  await session.click("button[type=submit]");
  await session.waitForText("[role=alert]", /not right/, 20_000);
  await session.screenshot("unlock-wrong-password");

  await session.fill("#unlock-password", MASTER);
  await session.click("button[type=submit]");
  await session.waitForText("#empty-title", /Your vault is empty/, 20_000);
});

step("the unlock screen in the dark theme", async () => {
  await session.click("#lock");
  await session.find("#unlock-password");
  await session.execute("document.documentElement.dataset.theme = 'dark'");
  await session.screenshot("unlock-dark");
});

/** @param {string} selector @param {string} value */
const fill = (selector, value) => session.fill(selector, value);
/** @param {string} kind @param {Record<string, string>} fields */
const addItem = (kind, fields) => addVaultItem(session, kind, fields);
/** @param {string[]} expected */
const waitForTitles = (expected) => waitForListed(session, expected);

step("items of three kinds are added, found, edited, and survive lock and relaunch", async () => {
  await session.execute("document.documentElement.dataset.theme = 'light'");
  await fill("#unlock-password", MASTER);
  await session.click("button[type=submit]");
  await session.find("select[aria-label='New item']");

  await addItem("login", { title: "GitHub", username: "ada", password: "gh-pass-123", urls: "https://github.com" });
  await session.screenshot("item-detail-login");
  await addItem("secure_note", { title: "Wifi", notes: "router: correct-battery" });
  await addItem("card", { title: "Visa", number: "4111111111111234", expiry_month: "12", expiry_year: "2030" });
  await waitForTitles(["GitHub", "Visa", "Wifi"]);

  await fill("input[type=search]", "GIT");
  await waitForTitles(["GitHub"]);
  await session.screenshot("vault-search");
  await fill("input[type=search]", "");
  await waitForTitles(["GitHub", "Visa", "Wifi"]);

  await session.click("[role=listbox][aria-label=Items] [role=option]");
  await session.waitForText("#detail-title", /^GitHub/);
  await session.click(".detail button.secondary");
  await session.find("#editor-title");
  await fill("[name=username]", "ada.lovelace");
  await session.screenshot("item-editor-login");
  await session.execute("document.documentElement.dataset.theme = 'dark'");
  await session.screenshot("item-editor-login-dark");
  await session.execute("document.documentElement.dataset.theme = 'light'");
  await session.click("form.editor button[type=submit]");
  await session.waitForText(".detail dl", /ada\.lovelace/);

  await session.click("#lock");
  await fill("#unlock-password", MASTER);
  await session.click("button[type=submit]");
  await waitForTitles(["GitHub", "Visa", "Wifi"]);
  await session.screenshot("vault-list");
});

step("after a relaunch the vault asks for the master password and holds every item", async () => {
  await session.delete();
  session = await Session.create(driver.port, application);
  await session.find("#unlock-password");
  await session.type("#unlock-password", MASTER);
  await session.click("button[type=submit]");
  await waitForTitles(["GitHub", "Visa", "Wifi"]);
  await session.click("[role=listbox][aria-label=Items] [role=option]");
  await session.waitForText(".detail dl", /ada\.lovelace/);
  await session.execute("document.documentElement.dataset.theme = 'dark'");
  await session.screenshot("item-detail-dark");
});
