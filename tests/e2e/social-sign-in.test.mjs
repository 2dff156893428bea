// Sign in with Google / Apple end to end: real OpenID providers on loopback (npm
// `oidc-provider`; "google" answers in the query with RS256 tokens, "apple" by form_post with
// ES256 tokens, an issuer with a path and string booleans), the real service, the real app (its
// loopback listener and PKCE) and the CLI; a second provider for an account without a password.
// The browser leg is played over HTTP (lib/browser.mjs): the provider's own login and consent
// forms, its form_post page, and the app's "you can close this tab" page.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";

import { enterCode, press } from "./lib/account-ui.mjs";
import { browse } from "./lib/browser.mjs";
import { startProvider } from "./lib/oidc.mjs";
import { startService } from "./lib/service.mjs";
import { steps } from "./lib/steps.mjs";
import { addItem, waitForTitles } from "./lib/vault-ui.mjs";
import { Computers, freePort } from "./lib/webdriver.mjs";

const step = steps();

/** @typedef {import("./lib/webdriver.mjs").Session} Session */

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const TARGET = process.env.CARGO_TARGET_DIR ?? "/var/tmp/keyhaven-target";
const CLI = path.join(TARGET, "debug", "keyhaven");
const GRACE = "grace@example.com";
const PHONE = "+44 7700 900456";
const MASTER = "correct horse battery staple";

/** @type {Awaited<ReturnType<typeof startService>>} */
let service;
/** @type {Awaited<ReturnType<typeof startProvider>>[]} */
const providers = [];
const computers = new Computers(application);
/** @type {Session} */
let a;
/** @type {Session} */
let b;

step("three OpenID providers, the service and two computers start", async () => {
  const port = await freePort();
  const callback = (/** @type {string} */ name) => `http://127.0.0.1:${port}/oauth/callback/${name}`;
  const google = await startProvider({ callback: callback("google") });
  // Apple the way real providers differ from the test's Google: an issuer with a path, an ES256
  // key only, and string booleans in its ID tokens.
  const apple = await startProvider({ callback: callback("apple"), alg: "ES256", path: "/tenant/v2", stringBooleans: true });
  // A provider the service holds the wrong client secret for: its token endpoint refuses.
  const broken = await startProvider({ callback: callback("facebook") });
  providers.push(google, apple, broken);
  service = await startService(
    {
      ...google.settings("google"),
      ...apple.settings("apple", true),
      ...broken.settings("facebook"),
      KEYHAVEN_SERVER_SOCIAL__PROVIDERS__FACEBOOK__CLIENT_SECRET: "not the secret",
      KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS: "1",
    },
    { port },
  );
  // No real browser: `open` hands the URL to `true`; the test reads it from the app's screen.
  a = await computers.open({ KEYHAVEN_SERVICE_URL: service.url, BROWSER: "true" });
  b = await computers.open({ KEYHAVEN_SERVICE_URL: service.url, BROWSER: "true" });
});

after(async () => {
  await computers.close();
  await service?.kill();
  for (const provider of providers) await provider.stop();
});

/**
 * Presses "Continue with <provider>" and returns the sign-in link the app sent the browser to.
 * @param {Session} session
 * @param {string} provider
 */
async function startInBrowser(session, provider) {
  await press(session, `Continue with ${provider}`);
  await session.waitForText("[role=status]", new RegExp(`Finish signing in with ${provider} in your browser`));
  return /** @type {string} */ (await session.execute("return document.querySelector('input[aria-label=\"Sign-in link\"]').value"));
}

/** The app's loopback callback URI named in a sign-in link. @param {string} link */
const redirectUri = (link) => /** @type {string} */ (new URL(link).searchParams.get("redirect_uri"));

step("cancelling at the provider, a forged callback, Cancel in the app and a provider failure each end with a message and no session", async () => {
  await a.click("button.primary");
  await a.find("[role=tablist]");
  await a.screenshot("connect-with-providers");

  let link = await startInBrowser(a, "Google");
  await a.screenshot("browser-sign-in-waiting");
  const cancelled = await browse(link, { email: GRACE, cancel: true });
  assert.match(cancelled.text, /Sign-in cancelled/);
  await a.waitForText("[role=alert]", /You cancelled the sign-in in your browser\. Nothing was signed in\./, 15_000);
  await a.screenshot("browser-sign-in-cancelled");

  link = await startInBrowser(a, "Google");
  const forged = new URL(redirectUri(link));
  forged.search = new URLSearchParams({ code: "forged", state: "not-the-apps" }).toString();
  assert.equal((await fetch(forged)).status, 400);
  await a.waitForText("[role=alert]", /did not start, so it was ignored/);
  // The listener took its one callback and closed: the real answer cannot come in afterwards.
  await assert.rejects(fetch(redirectUri(link)));

  link = await startInBrowser(a, "Google");
  await press(a, "Cancel");
  await a.find("button.provider");
  await assert.rejects(fetch(redirectUri(link)), "Cancel closes the listener (as when the tab was closed)");

  link = await startInBrowser(a, "Facebook");
  const failed = await browse(link, { email: GRACE });
  assert.match(failed.text, /Sign-in failed/);
  await a.waitForText("[role=alert]", /The sign-in provider could not sign you in/, 15_000);
  await a.screenshot("browser-sign-in-provider-failed");

  const status = await a.execute("return window.__TAURI_INTERNALS__.invoke('account_status')");
  assert.equal(status.signed_in, false);
});

step("a new person signs up with Google: statement and phone in the app, the SMS code, then the vault", async () => {
  const link = await startInBrowser(a, "Google");
  const done = await browse(link, { email: GRACE });
  assert.match(done.text, /You can close this tab/);
  assert.ok(done.visited.some((url) => url.includes("/interaction/")), "the provider's own login page was used");
  // The browser replays the answer: the listener has closed.
  await assert.rejects(fetch(done.url));

  await a.waitForText("form[aria-label='Finish signing in with Google']", /No Keyhaven Account uses this Google sign-in yet/, 15_000);
  await a.type("#social-phone", PHONE);
  await a.waitForText(".statement", /Web-Portal Statement \(version 1\)/);
  await a.screenshot("browser-sign-up-statement-and-phone");
  const sent = service.codesSent();
  await a.click(".statement input[type=checkbox]");
  await press(a, "Create account");
  await a.waitForText("#code-title", /Enter the security code/);
  await enterCode(a, await service.nextCode(sent));
  await a.waitForText("#connect-vault-title", /Create your master password/, 20_000);
  await a.type("#connect-master", MASTER);
  await a.type("#connect-master-again", MASTER);
  await a.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
  await a.waitForText("#empty-title", /Your vault is empty/, 30_000);
  await addItem(a, "login", { title: "Observatory", username: "grace", password: "telescope-1" });
  await a.waitForText("[data-testid=sync-status]", /^Synced/, 20_000);
});

step("the second sign-in with Google, on another computer, reuses the account and its vault", async () => {
  await b.click("button.primary");
  const link = await startInBrowser(b, "Google");
  assert.match((await browse(link, { email: GRACE })).text, /You can close this tab/);
  const sent = service.codesSent();
  await b.waitForText("#code-title", /Enter the security code/, 15_000);
  await enterCode(b, await service.nextCode(sent));
  await b.waitForText("#connect-vault-title", /Unlock your vault/, 20_000);
  await b.type("#connect-master", MASTER);
  await b.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
  await waitForTitles(b, ["Observatory"], 30_000);
  await b.screenshot("browser-sign-in-second-device");
});

/**
 * `keyhaven account login --with PROVIDER --no-browser …`: plays the browser as `email` once the
 * CLI printed its link; returns how the CLI ended.
 * @param {string} vault
 * @param {string[]} args
 * @param {string} email
 * @param {Record<string, string>} env
 */
async function cliBrowserLogin(vault, args, email, env = {}) {
  const cli = spawn(CLI, ["--vault", vault, "account", "login", "--no-browser", ...args], {
    env: { ...process.env, ...env, KEYHAVEN_SERVICE_URL: service.url },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  cli.stdout.on("data", (chunk) => (stdout += chunk));
  const exited = new Promise((resolve) => cli.once("exit", resolve));
  const link = await new Promise((resolve, reject) => {
    cli.stderr.on("data", (chunk) => {
      stderr += chunk;
      const found = stderr.match(/(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/);
      if (found) resolve(found[1]);
    });
    cli.once("exit", () => reject(new Error(`the CLI ended early: ${stderr}`)));
  });
  const browsed = await browse(link, { email });
  const code = await exited;
  return { code, stdout, stderr, browsed };
}

/**
 * Runs the CLI to its end on computer a (its keyring holds the CLI's session).
 * @param {string} vault @param {string[]} args @param {string} stdin
 */
function cli(vault, args, stdin = "") {
  return spawnSync(CLI, ["--vault", vault, "--password-stdin", ...args], {
    input: stdin,
    encoding: "utf8",
    env: { ...process.env, ...a.appEnv(["DBUS_SESSION_BUS_ADDRESS"]), KEYHAVEN_SERVICE_URL: service.url },
  });
}

step("the CLI signs up with Apple (form_post, ES256, a path issuer, string booleans): prints the link, takes the browser's answer, then the SMS step", async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-cli-"));
  const sent = service.codesSent();
  const run = await cliBrowserLogin(
    path.join(dataDir, "vault.keyhaven"),
    ["--with", "apple", "--accept-statement", "1", "--phone", "+44 7700 900789"],
    "lin@example.com",
  );
  assert.ok(run.browsed.visited.some((url) => url.endsWith("/oauth/callback/apple")), "the answer came by form_post");
  assert.ok(run.browsed.visited.some((url) => url.includes("/tenant/v2/")), "the provider lives under its issuer's path");
  assert.match(run.browsed.text, /You can close this tab/);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /A security code was sent by SMS to \+…89/);
  await service.nextCode(sent);
});

step("Grace's account has no password: the CLI signs in with Apple, and an SMS code to her phone links Apple", async () => {
  const vault = path.join(mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-cli-")), "vault.keyhaven");
  const sent = service.codesSent();
  const run = await cliBrowserLogin(vault, ["--with", "apple"], GRACE, a.appEnv(["DBUS_SESSION_BUS_ADDRESS"]));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /A security code was sent by SMS to \+…56/, "the code goes to the account's phone");
  const verified = cli(vault, ["account", "verify", await service.nextCode(sent)], `${MASTER}\n`);
  assert.equal(verified.status, 0, verified.stderr);
  const listed = cli(vault, ["--json", "account", "methods"]);
  assert.equal(listed.status, 0, listed.stderr);
  const methods = JSON.parse(listed.stdout);
  assert.equal(methods.password, false);
  assert.deepEqual(
    methods.providers.map((/** @type {{ provider: string }} */ p) => p.provider),
    ["google", "apple"],
  );
});

step("Settings → Account → Sign-in methods: Apple is removed and added again through the browser; the last one cannot go", async () => {
  await press(a, "Settings");
  const list = "ul[aria-label='Sign-in methods']";
  await a.waitForText(list, /Google[\s\S]*Apple/, 15_000);
  await a.execute("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })", [list]);
  await a.screenshotsEverywhere("settings-sign-in-methods");
  await a.click("button[aria-label='Remove Apple']");
  await press(a, "Remove it");
  await a.waitForText("[data-testid=account-notice]", /Apple no longer signs in to your account/);
  await a.waitForText("[data-testid=last-method]", /only way to sign in/);
  const disabled = await a.execute("return document.querySelector(\"button[aria-label='Remove Google']\").disabled");
  assert.equal(disabled, true, "the last sign-in method cannot be removed");
  await a.screenshot("settings-sign-in-methods-last");

  await press(a, "Add Apple…");
  await a.waitForText("[data-testid=adding-method]", /Sign in with Apple in your browser to add it/);
  const link = /** @type {string} */ (await a.execute("return document.querySelector('input[aria-label=\"Sign-in link\"]').value"));
  assert.match((await browse(link, { email: GRACE })).text, /You can close this tab/);
  await a.waitForText("[data-testid=account-notice]", /You can now sign in to your account with Apple/, 15_000);
  await a.waitForText(list, /Google[\s\S]*Apple/);
  await a.screenshot("settings-sign-in-method-added");
});

step("an account made with Google adds an account password in Settings, confirmed by a code to its phone", async () => {
  await a.waitForText("[data-testid=needs-password]", /add one under Sign-in methods/);
  await press(a, "Add a password…");
  const form = "form[aria-label='Add an account password']";
  await a.execute(
    `document.querySelectorAll("${form} input[type=password]").forEach((input, i) => input.setAttribute("data-e2e", "new-" + i));`,
  );
  await a.type(`${form} [data-e2e=new-0]`, "grace account password 1");
  await a.type(`${form} [data-e2e=new-1]`, "grace account password 1");
  await a.screenshot("settings-add-account-password");
  const sent = service.codesSent();
  await press(a, "Send a code");
  const confirm = "form[aria-label='Confirm the account password']";
  await a.find(`${confirm} input`);
  await a.type(`${confirm} input`, await service.nextCode(sent));
  await press(a, "Confirm");
  await a.waitForText("[data-testid=account-notice]", /has an account password now/, 15_000);
  await a.waitForText("ul[aria-label='Sign-in methods']", /your email and account password/);
  await a.find("[data-testid=two-step-state]");

  // The password signs in from the CLI, with the code.
  const vault = path.join(mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-cli-")), "vault.keyhaven");
  const again = service.codesSent();
  const login = cli(vault, ["account", "login", "--email", GRACE], "grace account password 1\n");
  assert.equal(login.status, 0, login.stderr);
  assert.match(login.stdout, /A security code was sent by SMS to \+…56|got a security code a moment ago/);
  assert.ok(service.codesSent() >= again);
});
