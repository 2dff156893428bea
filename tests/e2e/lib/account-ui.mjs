// Steps on the account screens shared by the account suites.
/** @typedef {import("./webdriver.mjs").Session} Session */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Clicks the button whose text is exactly `text`, waiting for it.
 * @param {Session} session
 * @param {string} text
 */
export async function press(session, text, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const clicked = await session.execute(
      "const b = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === arguments[0] && !b.disabled); if (b) b.click(); return !!b;",
      [text],
    );
    if (clicked) return;
    await sleep(100);
  }
  throw new Error(`no enabled button "${text}"`);
}

/**
 * Types a code into the six boxes (the first box spreads the digits, as typing does).
 * @param {Session} session
 * @param {string} code
 */
export async function enterCode(session, code) {
  await session.find(".digit");
  await session.execute("document.querySelector('.digit').focus()");
  await session.type(".digit", code);
}
