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

/** @typedef {Awaited<ReturnType<typeof import("./service.mjs").startService>>} Service */

/**
 * On the connect screen: creates an account (statement accepted) and enters the SMS code from
 * the service's outbox; ends at the vault step.
 * @param {Session} session
 * @param {Service} service
 * @param {{ email: string, password: string, phone: string }} person
 */
export async function createAccount(session, service, { email, password, phone }) {
  await press(session, "Create account");
  await session.type("#sign-up-email", email);
  await session.type("#sign-up-password", password);
  await session.type("#sign-up-phone", phone);
  await session.waitForText(".statement", /version \d+/);
  await session.click(".statement input[type=checkbox]");
  const sent = service.codesSent();
  await session.click("form[aria-label='Create an account'] button[type=submit]");
  await session.waitForText("#code-title", /Enter the security code/);
  await enterCode(session, await service.nextCode(sent));
  await session.find("#connect-vault-title", 20_000);
}

/**
 * On the connect screen: signs in with email and account password and enters the SMS code;
 * ends at the vault step.
 * @param {Session} session
 * @param {Service} service
 * @param {{ email: string, password: string }} person
 */
export async function signIn(session, service, { email, password }) {
  await session.type("#sign-in-email", email);
  await session.type("#sign-in-password", password);
  const sent = service.codesSent();
  await session.click("form[aria-label='Sign in'] button[type=submit]");
  await session.waitForText("#code-title", /Enter the security code/);
  await enterCode(session, await service.nextCode(sent));
  await session.find("#connect-vault-title", 20_000);
}

/**
 * The vault step: types the master password and sends it.
 * @param {Session} session
 * @param {string} master
 */
export async function submitMasterPassword(session, master) {
  await session.type("#connect-master", master);
  await session.click("form[aria-labelledby=connect-vault-title] button[type=submit]");
}
