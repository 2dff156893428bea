// Import and export in the app, as a person does them: the empty vault's "Import from another
// password manager", the system's file chooser (GTK, typed into through X), the preview of what
// the file holds, the import with its progress, and an encrypted export through the save
// chooser, which the CLI then imports into another vault.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";

import { steps } from "./lib/steps.mjs";
import { waitFor } from "./lib/wait.mjs";
import { Session, startDriver } from "./lib/webdriver.mjs";

const step = steps();

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const CLI = path.join(process.env.CARGO_TARGET_DIR ?? "/var/tmp/keyhaven-target", "debug", "keyhaven");
const MASTER = "correct horse battery staple";
const EXPORT_PASSWORD = "violet anchor drifting 42 lanterns";
const ITEMS = 1000;
const dir = mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-import-"));

/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

after(async () => {
  await session?.delete();
  await driver?.stop();
});

/** A Bitwarden JSON export of `ITEMS` logins in two folders, one with an attachment and one in the trash. */
function bitwardenExport() {
  /** @type {Record<string, unknown>[]} */
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    id: `id-${i}`,
    type: 1,
    name: i === 0 ? "GitHub" : `Site ${i}`,
    folderId: i % 2 ? "work" : "home",
    favorite: i === 0,
    notes: i === 0 ? "two\nlines" : null,
    login: { username: `user${i}`, password: `pw-${i}-x`, uris: [{ uri: `https://site${i}.example` }], totp: null },
    attachments: i === 0 ? [{ fileName: "scan.pdf" }] : undefined,
  }));
  items.push({ id: "gone", type: 1, name: "Deleted one", deletedDate: "2024-01-01T00:00:00.000Z", login: {} });
  return {
    encrypted: false,
    folders: [
      { id: "work", name: "Work" },
      { id: "home", name: "Home" },
    ],
    items,
  };
}

/** Runs xdotool on the app's display. @param {string[]} args */
function xdotool(args) {
  return execFileSync("xdotool", args, { encoding: "utf8", timeout: 10_000, env: session.displayEnv() }).trim();
}

/**
 * Answers the GTK file chooser titled `title` with `file`, the way a person types a path into it.
 * @param {string} title
 * @param {string} file
 */
async function answerChooser(title, file) {
  /** @type {string | undefined} */
  let id;
  await waitFor(() => (id = session.windowId(title, session.displayEnv())) !== undefined, `the "${title}" chooser opens`);
  await session.screenshot(`chooser-${(title.split(" ")[0] ?? "").toLowerCase()}`, title);
  xdotool(["windowfocus", "--sync", String(id)]);
  // The open chooser takes a path in its location bar (Ctrl+L); the save chooser has its name
  // field focused, with the suggested name's stem selected: select it all first.
  xdotool(["key", "--clearmodifiers", title.startsWith("Export") ? "ctrl+a" : "ctrl+l"]);
  xdotool(["type", "--delay", "20", file]);
  // GTK may still be completing the typed path when Return arrives, and then takes it for the
  // completion: Return again (after waiting for the chooser to close) until it takes the file.
  const closed = () => session.windowId(title, session.displayEnv()) === undefined;
  for (let attempt = 1; ; attempt++) {
    xdotool(["key", "Return"]);
    try {
      await waitFor(closed, `the "${title}" chooser takes ${file} and closes`, 2_000);
      return;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

step("the app starts on a new, empty vault", async () => {
  driver = await startDriver();
  session = await Session.create(driver.port, application);
  await session.click("button.secondary");
  await session.find("#master");
  await session.type("#master", MASTER);
  await session.type("#master-again", MASTER);
  await session.waitForText("[data-testid=strength-label]", /^Very strong|^Strong/);
  await session.click("button[type=submit]");
  await session.waitForText("#empty-title", /Your vault is empty/, 20_000);
});

step("the empty vault imports a Bitwarden export chosen in the file chooser, after a preview", async () => {
  const file = path.join(dir, "bitwarden_export.json");
  writeFileSync(file, JSON.stringify(bitwardenExport()));
  await session.click(".empty button");
  await session.waitForText("#import-title", /Import from another password manager/);
  await session.screenshotsEverywhere("import-choose");
  await session.click(".import button.secondary");
  await answerChooser("Import into Keyhaven", file);
  await session.waitForText("[data-testid=import-file]", /bitwarden_export\.json/);
  assert.equal(await session.execute("return document.querySelector('[data-testid=import-format]').value"), "bitwarden_json");
  await session.click(".import button[type=submit]");
  await session.waitForText("[data-testid=import-summary]", new RegExp(`holds ${ITEMS} items: ${ITEMS} logins`), 20_000);
  assert.match(await session.text("[data-testid=import-summary]"), /In 2 folders/);
  assert.match(await session.text("[data-testid=import-not-kept]"), /GitHub: the attachment scan\.pdf/);
  assert.match(await session.text(".import details summary"), /1 entry is skipped/);
  await session.screenshotsEverywhere("import-preview");
});

step("the import stores every item at once and shows its progress", async () => {
  await session.execute(
    "window.__progress = []; window.__TAURI_INTERNALS__.invoke('plugin:event|listen', { event: 'import-progress', target: { kind: 'Any' }, handler: window.__TAURI_INTERNALS__.transformCallback((e) => window.__progress.push(e.payload)) });",
  );
  await session.click(".import .actions button.primary");
  await session.waitForText("[data-testid=import-done]", new RegExp(`Imported ${ITEMS} items`), 60_000);
  await session.screenshot("import-done");
  /** @type {{ done: number, total: number }[]} */
  const progress = await session.execute("return window.__progress");
  assert.ok(progress.some((p) => p.done > 0 && p.done < p.total), `a progress event before the end: ${JSON.stringify(progress.slice(0, 3))}`);
  assert.deepEqual(progress.at(-1), { done: ITEMS, total: ITEMS });
  await session.click(".import .actions button.primary");
  await session.type("input[type=search]", "GitHub");
  await session.click("[role=listbox][aria-label=Items] [role=option]");
  await session.waitForText("#detail-title", /^GitHub/);
  await session.screenshot("import-item");
});

step("an encrypted export asks the master password again and writes a private file the CLI imports", async () => {
  await session.execute("[...document.querySelectorAll('nav.tabs button')].find((b) => b.textContent.trim() === 'Settings').click()");
  await session.waitForText("#settings-title", /Settings/);
  await session.execute("[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Export…').click()");
  await session.find("#export-master");
  await session.type("#export-master", MASTER);
  await session.type("#export-password", EXPORT_PASSWORD);
  await session.type("#export-password-again", EXPORT_PASSWORD);
  await session.waitForText("[data-testid=strength-label]", /Strong|Very strong/);
  await session.screenshotsEverywhere("export-encrypted");
  await session.click("form[aria-labelledby=export-title] button[type=submit]");
  const out = path.join(dir, "backup.keyhaven");
  await answerChooser("Export from Keyhaven", out);
  await session.waitForText("[data-testid=export-notice]", /Exported to backup\.keyhaven/, 30_000);
  await session.screenshot("export-done");
  assert.equal(statSync(out).mode & 0o777, 0o600);

  const other = path.join(dir, "other.sqlite");
  execFileSync(CLI, ["--vault", other, "--password-stdin", "vault", "init"], { input: `${MASTER}\n` });
  const imported = JSON.parse(
    execFileSync(CLI, ["--json", "--vault", other, "--password-stdin", "vault", "import", "--from", "keyhaven", out, "--yes"], {
      input: `${MASTER}\n${EXPORT_PASSWORD}\n`,
      encoding: "utf8",
    }),
  );
  assert.equal(imported.imported, ITEMS);
});
