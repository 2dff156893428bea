// "Continue as <email>": the keyhaven CLI (a Keyhaven app of the same computer, same OS user,
// same keyring) signs in with --share-with-apps; the app's welcome screen offers to continue as
// that account; one click (and the vault's master password) connects it and syncs the CLI's
// items. A withdrawn suite session (CLI logout) is detected: the normal choices show.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";

import { startService } from "./lib/service.mjs";
import { steps } from "./lib/steps.mjs";
import { waitForTitles } from "./lib/vault-ui.mjs";
import { Computers } from "./lib/webdriver.mjs";

const step = steps();

/** @typedef {import("./lib/webdriver.mjs").Session} Session */

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const CLI = path.join(process.env.CARGO_TARGET_DIR ?? "/var/tmp/keyhaven-target", "debug", "keyhaven");
const EMAIL = "mei@example.com";
const ACCOUNT_PASSWORD = "a long account password";
const MASTER = "correct horse battery staple";

/** @type {Awaited<ReturnType<typeof startService>>} */
let service;
const computers = new Computers(application);
/** @type {Session} */
let app;
const cliVault = path.join(mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-cli-")), "vault.sqlite");

step("the service and a computer start", async () => {
  service = await startService({ KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS: "1" });
  app = await computers.open({ KEYHAVEN_SERVICE_URL: service.url });
});

after(async () => {
  await computers.close();
  await service?.kill();
});

/**
 * Runs the CLI on the app's computer (its D-Bus session and keyring) with `stdin` lines.
 * @param {string[]} args
 * @param {string} stdin
 */
function cli(args, stdin = "") {
  return execFileSync(CLI, ["--vault", cliVault, "--password-stdin", ...args], {
    input: stdin,
    encoding: "utf8",
    env: { ...process.env, ...app.appEnv(["DBUS_SESSION_BUS_ADDRESS"]), KEYHAVEN_SERVICE_URL: service.url },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** The CLI signs in (SMS step included), sharing the sign-in with the other apps. */
async function cliSignsInAndShares() {
  await new Promise((r) => setTimeout(r, 1_200)); // the resend cooldown of the last code
  const sent = service.codesSent();
  cli(["account", "login", "--email", EMAIL, "--share-with-apps"], `${ACCOUNT_PASSWORD}\n`);
  cli(["account", "verify", await service.nextCode(sent)], `${MASTER}\n`);
}

/** Reloads the app's page: the welcome screen asks again whether there is a suite session. */
async function reloadWelcome() {
  await app.execute("location.reload()");
  await app.find("#welcome-title", 20_000);
  await new Promise((r) => setTimeout(r, 1_000));
}

step("the CLI creates the account and its vault", async () => {
  const sent = service.codesSent();
  cli(["account", "signup", "--email", EMAIL, "--phone", "+44 7700 900654", "--accept-statement", "1"], `${ACCOUNT_PASSWORD}\n`);
  cli(["account", "verify", await service.nextCode(sent)], `${MASTER}\n`);
  cli(["vault", "add", "--title", "From the CLI", "--username", "mei"], `${MASTER}\nsecret-1\n`);
  cli(["account", "sync"], `${MASTER}\n`);
});

step("a shared sign-in that was withdrawn is not offered: the normal choices show", async () => {
  await cliSignsInAndShares();
  await reloadWelcome();
  await app.waitForText("[data-testid=suite-offer]", /Continue as m\*\*\*@example\.com/);
  cli(["account", "logout"]);
  await reloadWelcome();
  assert.equal(await app.execute("return !!document.querySelector('[data-testid=suite-offer]')"), false);
  await app.waitForText("button.primary", /^Connect to Keyhaven Account$/);
});

step("the welcome screen offers Continue as <email>; one click and the master password connect and sync", async () => {
  await cliSignsInAndShares();
  await reloadWelcome();
  await app.waitForText("[data-testid=suite-offer]", /Continue as m\*\*\*@example\.com/);
  await app.screenshot("welcome-continue-as");
  const sent = service.codesSent();
  await app.click("[data-testid=suite-offer] button");
  await app.waitForText("#connect-vault-title", /Unlock your vault/, 20_000);
  assert.equal(service.codesSent(), sent, "no SMS code: the other app's sign-in vouches for this one");
  await app.type("#connect-master", MASTER);
  await app.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
  await waitForTitles(app, ["From the CLI"], 30_000);
  await app.waitForText("[data-testid=sync-status]", /^Synced/, 20_000);
  // The CLI stays signed in.
  assert.match(cli(["--json", "account", "status"]), /"signed_in":\s*true/);
});
