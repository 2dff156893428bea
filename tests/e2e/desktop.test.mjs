// The desktop around the vault: copying with clipboard clearing, the generator and settings
// screens, quick search, a second launch, and locking on idle and on screen lock.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after } from "node:test";

import { steps } from "./lib/steps.mjs";
import { Session, startDriver } from "./lib/webdriver.mjs";

const step = steps();

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const MASTER = "correct horse battery staple";
const CLEAR_AFTER_SECONDS = 3;
/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

/** @param {Record<string, unknown>} settings */
function writeSettings(settings) {
  writeFileSync(path.join(driver.dataDir, "settings.json"), JSON.stringify(settings));
}

function readSettings() {
  return JSON.parse(readFileSync(path.join(driver.dataDir, "settings.json"), "utf8"));
}

/** What the X clipboard holds now ("" when empty), read the way another app would. */
function clipboard() {
  try {
    return execFileSync("xclip", ["-o", "-selection", "clipboard"], { encoding: "utf8", timeout: 5_000 });
  } catch {
    return "";
  }
}

/** Copies text as another app would (xclip keeps serving it in the background). @param {string} text */
function copyElsewhere(text) {
  execFileSync("xclip", ["-i", "-selection", "clipboard"], { input: text, stdio: ["pipe", "ignore", "ignore"] });
}

/** @param {() => boolean} done */
async function eventually(done, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * Launches the app binary again, as a person double-clicking it would; resolves with its exit code.
 * @param {string[]} args
 */
function launchAgain(args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(application, args, {
      env: { ...process.env, KEYHAVEN_DATA_DIR: driver.dataDir },
      stdio: "ignore",
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the second instance did not exit: single-instance is not working"));
    }, 15_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** @param {string} selector @param {string} value */
const fill = (selector, value) => session.fill(selector, value);

async function unlock() {
  await fill("#unlock-password", MASTER);
  await session.click("button[type=submit]");
  await session.find("#lock", 20_000);
}

step("the app starts with a vault holding one login", async () => {
  driver = await startDriver();
  writeSettings({ clipboard_clear_seconds: CLEAR_AFTER_SECONDS, auto_lock_seconds: 0, theme: "light" });
  session = await Session.create(driver.port, application);
  await session.click("button.secondary");
  await fill("#master", MASTER);
  await fill("#master-again", MASTER);
  await session.click("button[type=submit]");
  await session.find("#lock", 20_000);
  await session.execute(
    "const s = document.querySelector('select[aria-label=\"New item\"]'); s.value = 'login'; s.dispatchEvent(new Event('change', { bubbles: true }));",
  );
  await fill("[name=title]", "GitHub");
  await fill("[name=username]", "ada");
  await fill("[name=password]", "gh-pass-123");
  await session.click("form.editor button[type=submit]");
  await session.waitForText("#detail-title", /^GitHub/);
});

after(async () => {
  await session?.delete();
  await driver?.stop();
});

step("a copied password is on the clipboard, and cleared after the setting only if still ours", async () => {
  await session.click("button[aria-label='Copy password']");
  await session.waitForText(".notice", /Password copied\. The clipboard is cleared in 3 s/);
  assert.equal(clipboard(), "gh-pass-123");
  assert.equal(
    await session.execute("return document.body.innerText.includes('gh-pass-123')"),
    false,
    "copying never showed the password",
  );
  await session.screenshot("item-copied");
  assert.equal(
    await session.execute("return document.documentElement.outerHTML.includes('gh-pass-123')"),
    false,
    "the page does not even hold the password until Show",
  );
  await session.click("button[aria-label='Show password']");
  await session.waitForText(".detail dl", /gh-pass-123/);
  await session.click("button[aria-label='Hide password']");
  assert.ok(await eventually(() => clipboard() === ""), "cleared after 3 s");

  await session.click("button[aria-label='Copy username']");
  assert.equal(clipboard(), "ada");
  copyElsewhere("the person's own text");
  await new Promise((r) => setTimeout(r, (CLEAR_AFTER_SECONDS + 2) * 1000));
  assert.equal(clipboard(), "the person's own text", "what someone else copied is left alone");
});

step("the generator screen makes passwords to the chosen options and copies them", async () => {
  await session.click("nav[aria-label=Sections] button:nth-child(2)");
  await session.waitForText("output[aria-label='Generated password']", /^.{20}$/);
  await session.execute(
    "const r = document.querySelector('input[type=range]'); r.value = '32'; r.dispatchEvent(new Event('input', { bubbles: true }));",
  );
  await session.waitForText("output[aria-label='Generated password']", /^.{32}$/);
  await session.click(".generator .actions button.primary");
  const shown = await session.text("output[aria-label='Generated password']");
  assert.equal(clipboard(), shown);
  await session.screenshot("generator");
});

step("settings are saved and applied: the dark theme at once and after a relaunch", async () => {
  await session.execute("[...document.querySelectorAll('nav.tabs button')].find((b) => b.textContent.trim() === 'Settings').click()");
  await session.find("#settings-title");
  await session.screenshot("settings");
  await session.click("input[type=radio][value=dark]");
  await session.waitForText("[data-testid=settings-notice]", /Saved/);
  assert.equal(await session.execute("return document.documentElement.dataset.theme"), "dark");
  assert.equal(readSettings().theme, "dark");
  assert.equal(readSettings().clipboard_clear_seconds, CLEAR_AFTER_SECONDS, "the rest is kept");
  await session.screenshot("settings-dark");
  await session.click("nav[aria-label=Sections] button:nth-child(2)");
  await session.screenshot("generator-dark");
  await session.click("nav[aria-label=Sections] button:nth-child(1)");
  await session.screenshot("vault-dark");
});

/**
 * Runs xdotool (the quick-search window is the app's second web view, which WebDriver cannot
 * drive, so this test types into it through X the way a person's keyboard does).
 * @param {string[]} args
 */
function xdotool(args) {
  return execFileSync("xdotool", args, { encoding: "utf8", timeout: 10_000 }).trim();
}

/** @param {string} name @returns {Promise<string>} the X window id of a visible window with that title */
async function visibleWindow(name) {
  let id = "";
  await eventually(() => {
    try {
      id = xdotool(["search", "--onlyvisible", "--name", `^${name}$`]).split("\n")[0] ?? "";
    } catch {
      id = "";
    }
    return id !== "";
  });
  assert.ok(id, `a visible window named ${name}`);
  return id;
}

step("a second launch leaves the running app alone; --quick-search opens quick search there", async () => {
  assert.equal(await launchAgain(), 0, "the second instance hands over and exits");
  await session.find("#lock");
  assert.equal(await launchAgain(["--quick-search"]), 0);
  const quick = await visibleWindow("Keyhaven quick search");
  xdotool(["windowfocus", "--sync", quick]);
  await new Promise((r) => setTimeout(r, 500));
  xdotool(["type", "--delay", "50", "git"]);
  await new Promise((r) => setTimeout(r, 800));
  const shot = path.join(process.env.KEYHAVEN_SCREENSHOTS ?? "artifacts/screenshots", "quick-search-dark.png");
  execFileSync("import", ["-window", quick, shot]);
  xdotool(["key", "Return"]);
  assert.ok(await eventually(() => clipboard() === "gh-pass-123"), "Enter copies the password");
  assert.ok(
    await eventually(() => {
      try {
        return xdotool(["search", "--onlyvisible", "--name", "^Keyhaven quick search$"]) === "";
      } catch {
        return true;
      }
    }),
    "the window hides after copying",
  );
  await session.find("#lock");
});

/** @param {string} name whether a window with exactly this title is mapped */
function isVisible(name) {
  try {
    return xdotool(["search", "--onlyvisible", "--name", `^${name}$`]) !== "";
  } catch {
    return false;
  }
}

step("closing the main window keeps Keyhaven in the tray; launching it again brings it back", async () => {
  const main = await visibleWindow("Keyhaven");
  execFileSync("python3", [path.join(import.meta.dirname, "lib", "wm_close.py"), main]);
  assert.ok(await eventually(() => !isVisible("Keyhaven")), "the window hides instead of quitting");
  assert.equal(await launchAgain(), 0, "Keyhaven is still running, so the new launch hands over");
  await visibleWindow("Keyhaven");
  await session.find("#lock");
});

step("locking the screen locks the vault", async () => {
  execFileSync("dbus-send", [
    "--session",
    "--type=signal",
    "/org/freedesktop/ScreenSaver",
    "org.freedesktop.ScreenSaver.ActiveChanged",
    "boolean:true",
  ]);
  await session.find("#unlock-password", 10_000);
  await session.screenshot("unlock-after-screen-lock-dark");
});

step("an idle vault locks itself after the auto-lock time", async () => {
  await session.delete();
  writeSettings({ ...readSettings(), auto_lock_seconds: 3, theme: "light" });
  session = await Session.create(driver.port, application);
  await unlock();
  const unlockedAt = Date.now();
  await session.find("#unlock-password", 15_000);
  const lockedAfter = (Date.now() - unlockedAt) / 1000;
  assert.ok(lockedAfter >= 2.5 && lockedAfter < 10, `locked after ${lockedAfter} s`);
});
