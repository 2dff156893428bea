// What a person does in the vault screen, as steps the suites share.
import assert from "node:assert/strict";

/** @typedef {import("./webdriver.mjs").Session} Session */

/** The editor's Save button. */
export const SAVE = "form.editor button[type=submit]";

/**
 * Opens the editor for a new item through the New item menu and fills it in; nothing is saved.
 * @param {Session} session
 * @param {string} kind
 * @param {Record<string, string>} fields input or textarea name → value
 */
export async function draftItem(session, kind, fields) {
  await session.execute(
    "const s = document.querySelector('select[aria-label=\"New item\"]'); s.value = arguments[0]; s.dispatchEvent(new Event('change', { bubbles: true }));",
    [kind],
  );
  await session.find("#editor-title");
  for (const [name, value] of Object.entries(fields)) {
    await session.fill(`[name=${name}]`, value);
  }
}

/**
 * Adds an item through the New item menu and the editor.
 * @param {Session} session
 * @param {string} kind
 * @param {Record<string, string>} fields input or textarea name → value
 */
export async function addItem(session, kind, fields) {
  await draftItem(session, kind, fields);
  await session.click(SAVE);
  await session.waitForText("#detail-title", new RegExp(`^${fields.title}`));
}

/**
 * Opens the listed item with this title.
 * @param {Session} session
 * @param {string} title
 */
export async function openItem(session, title) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const clicked = await session.execute(
      "const o = [...document.querySelectorAll('[role=listbox][aria-label=Items] [role=option]')].find((o) => o.querySelector('.title')?.textContent.trim() === arguments[0]); if (o) o.click(); return !!o;",
      [title],
    );
    if (clicked) {
      await session.waitForText("#detail-title", new RegExp(`^${title.replace(/[()]/g, "\\$&")}`));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no item titled ${title} in the list`);
}

/**
 * Opens an item, edits the given fields and saves.
 * @param {Session} session
 * @param {string} title
 * @param {Record<string, string>} fields
 */
export async function editItem(session, title, fields) {
  await openItem(session, title);
  await session.click(".detail button.secondary");
  await session.find("#editor-title");
  for (const [name, value] of Object.entries(fields)) {
    await session.fill(`[name=${name}]`, value);
  }
  await session.click(SAVE);
  await session.waitForText("#detail-title", new RegExp(`^${(fields.title ?? title).replace(/[()]/g, "\\$&")}`));
}

/** @param {Session} session @returns {Promise<string[]>} */
export async function listedTitles(session) {
  return session.execute(
    "return [...document.querySelectorAll('[role=listbox][aria-label=Items] [role=option] .title')].map((el) => el.textContent.trim())",
  );
}

/**
 * Waits until the list shows exactly these titles, in order.
 * @param {Session} session
 * @param {string[]} expected
 */
export async function waitForTitles(session, expected, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  /** @type {string[]} */
  let titles = [];
  while (Date.now() < deadline) {
    titles = await listedTitles(session);
    if (JSON.stringify(titles) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(titles, expected);
}

/**
 * Calls a command of the app through its real IPC, as the UI does, and returns its result.
 * @param {Session} session
 * @param {string} command
 * @param {Record<string, unknown>} args
 */
export async function invoke(session, command, args = {}) {
  const result = await session.executeAsync(
    "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((ok) => done({ ok }), (error) => done({ error }));",
    [command, args],
  );
  if (result.error) throw new Error(`${command}: ${JSON.stringify(result.error)}`);
  return result.ok;
}
