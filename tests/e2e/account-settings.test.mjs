// Settings → Account, the account's own settings: 2-step verification off and on, a new account
// password (the account's other device, the CLI on this computer, is signed out, and the app
// says so), and deleting the account (its email typed, its password), after which the vault
// stays on this computer as a local vault with every item.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";

import { press, signIn, submitMasterPassword } from "./lib/account-ui.mjs";
import { startService } from "./lib/service.mjs";
import { steps } from "./lib/steps.mjs";
import { waitFor } from "./lib/wait.mjs";
import { waitForTitles } from "./lib/vault-ui.mjs";
import { Computers } from "./lib/webdriver.mjs";

const step = steps();

/** @typedef {import("./lib/webdriver.mjs").Session} Session */

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const CLI = path.join(process.env.CARGO_TARGET_DIR ?? "/var/tmp/keyhaven-target", "debug", "keyhaven");
const EMAIL = "lin@example.com";
const ACCOUNT_PASSWORD = "a long account password";
const NEW_ACCOUNT_PASSWORD = "another long account password";
const MASTER = "correct horse battery staple";

/** @type {Awaited<ReturnType<typeof startService>>} */
let service;
const computers = new Computers(application);
/** @type {Session} */
let app;
const cliVault = path.join(mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-cli-")), "vault.sqlite");

step("the service and a computer start", async () => {
  service = await startService({ KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS: "0" });
  app = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
});

after(async () => {
  await computers.close();
  await service?.kill();
});

/** The CLI on the app's computer (its D-Bus session and keyring), with `stdin` lines. */
function cliEnv() {
  return { ...process.env, ...app.appEnv(["DBUS_SESSION_BUS_ADDRESS"]), KEYHAVEN_SERVICE_URL: service.url };
}

/**
 * @param {string[]} args
 * @param {string} stdin
 */
function cli(args, stdin = "") {
  return execFileSync(CLI, ["--vault", cliVault, "--password-stdin", ...args], {
    input: stdin,
    encoding: "utf8",
    env: cliEnv(),
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/**
 * The CLI's exit status and JSON error, for a command that is expected to fail.
 * @param {string[]} args
 */
function cliFails(args, stdin = "") {
  const run = spawnSync(CLI, ["--json", "--vault", cliVault, "--password-stdin", ...args], {
    input: stdin,
    encoding: "utf8",
    env: cliEnv(),
  });
  return { status: run.status, error: run.stdout + run.stderr };
}

step("the CLI creates the account and its vault; the app signs in to it", async () => {
  const sent = service.codesSent();
  cli(["account", "signup", "--email", EMAIL, "--phone", "+44 7700 900321", "--accept-statement", "1"], `${ACCOUNT_PASSWORD}\n`);
  cli(["account", "verify", await service.nextCode(sent)], `${MASTER}\n`);
  cli(["vault", "add", "--title", "Kept after all", "--username", "lin"], `${MASTER}\nsecret-1\n`);
  cli(["account", "sync"], `${MASTER}\n`);

  await app.click("button.primary");
  await app.find("[role=tablist]");
  await signIn(app, service, { email: EMAIL, password: ACCOUNT_PASSWORD });
  await app.waitForText("#connect-vault-title", /Unlock your vault/);
  await submitMasterPassword(app, MASTER);
  await waitForTitles(app, ["Kept after all"]);
});

step("2-step verification turns off (a sign-in then needs no code) and on again", async () => {
  await press(app, "Settings");
  await app.waitForText("[data-testid=account-email]", new RegExp(EMAIL.replace(".", "\\.")));
  await app.waitForText("[data-testid=two-step-state]", /^On$/);
  await press(app, "Turn off…");
  await app.type("form[aria-label='Turn 2-step verification off'] input[type=password]", "not the password");
  await press(app, "Turn off");
  await app.waitForText("[role=alert]", /account password is not right|do not match/i);
  await app.fill("form[aria-label='Turn 2-step verification off'] input[type=password]", ACCOUNT_PASSWORD);
  await app.screenshot("settings-two-step-off");
  await press(app, "Turn off");
  await app.waitForText("[data-testid=two-step-state]", /^Off$/);
  await app.waitForText("[data-testid=account-notice]", /2-step verification is off/);

  // The CLI signs in again with the password alone: no code is sent.
  const sent = service.codesSent();
  const out = cli(["account", "login", "--email", EMAIL], `${ACCOUNT_PASSWORD}\n${MASTER}\n`);
  assert.match(out, /Synced:/);
  assert.equal(service.codesSent(), sent, "no SMS code was sent");

  await press(app, "Turn on…");
  await app.type("form[aria-label='Turn 2-step verification on'] input[type=password]", ACCOUNT_PASSWORD);
  await press(app, "Turn on");
  await app.waitForText("[data-testid=two-step-state]", /^On$/);
});

step("a new account password signs the other device out, and the app says so", async () => {
  await press(app, "Change account password…");
  const form = "form[aria-label='Change the account password']";
  const fields = await app.execute(`return document.querySelectorAll("${form} input[type=password]").length`);
  assert.equal(fields, 3);
  await app.execute(
    `const inputs = document.querySelectorAll("${form} input[type=password]");
     inputs.forEach((input, i) => input.setAttribute("data-e2e", "pw-" + i));`,
  );
  await app.type(`${form} [data-e2e=pw-0]`, ACCOUNT_PASSWORD);
  await app.type(`${form} [data-e2e=pw-1]`, NEW_ACCOUNT_PASSWORD);
  await app.type(`${form} [data-e2e=pw-2]`, NEW_ACCOUNT_PASSWORD);
  await app.screenshotsEverywhere("settings-change-account-password");
  await press(app, "Change account password");
  await app.waitForText("[data-testid=account-notice]", /other devices? (was|were) signed out/);
  await app.screenshot("settings-account-password-changed");

  const devices = cliFails(["account", "devices"]);
  assert.notEqual(devices.status, 0);
  assert.match(devices.error, /sign_in_required|no longer signed in/);
  // This device stays signed in, and is the account's only device now.
  await waitFor(
    async () => (await app.execute("return document.querySelectorAll('ul.devices li').length")) === 1,
    "the signed-out devices left the list",
  );
  await app.waitForText("ul.devices", /this device/);
});

step("deleting the account needs its email typed and its password; the vault stays here", async () => {
  await press(app, "Delete account…");
  const form = "form[aria-label='Delete the account']";
  await app.type(`${form} input[type=text]`, "someone@else.example");
  await app.type(`${form} input[type=password]`, NEW_ACCOUNT_PASSWORD);
  assert.equal(
    await app.execute(`return [...document.querySelectorAll("${form} button")].find((b) => b.textContent.trim() === "Delete the account").disabled`),
    true,
    "a wrong email keeps the button disabled",
  );
  await app.fill(`${form} input[type=text]`, EMAIL);
  await app.screenshotsEverywhere("settings-delete-account");
  await press(app, "Delete the account");
  await app.waitForText("[data-testid=account-notice]", /Your Keyhaven Account is deleted/, 20_000);
  await app.screenshot("settings-account-deleted");
  await press(app, "Items");
  await waitForTitles(app, ["Kept after all"]);
  await app.waitForText("[data-testid=sync-status]", /On this computer only/);

  const gone = cliFails(["account", "login", "--email", EMAIL], `${NEW_ACCOUNT_PASSWORD}\n`);
  assert.notEqual(gone.status, 0);
  assert.match(gone.error, /invalid_credentials/);
});
