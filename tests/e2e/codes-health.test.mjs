// One-time codes and password health in the app, as a person meets them: a login given an
// otpauth:// address shows the code the test computes itself from the same secret and time (RFC
// 6238, Node's crypto), a bad secret is refused with words, and the Health tab lists the weak and
// reused logins, each opening the item's editor.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after } from "node:test";

import { steps } from "./lib/steps.mjs";
import { SAVE, addItem, draftItem, waitForTitles } from "./lib/vault-ui.mjs";
import { Session, startDriver } from "./lib/webdriver.mjs";

const step = steps();

const application = process.env.KEYHAVEN_APP_BIN ?? "";
const MASTER = "correct horse battery staple";
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const URI = `otpauth://totp/ACME:ada?secret=${SECRET.toLowerCase().replace(/(.{4})/g, "$1 ").trim()}&issuer=ACME&algorithm=SHA256&digits=8`;
const STRONG = "vq8#Lm2!xT9@pR4$wZ7k";

/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

after(async () => {
  await session?.delete();
  await driver?.stop();
});

/** @param {string} text */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 with HMAC-SHA256, 8 digits, 30 s, at `seconds`. @param {number} seconds */
function totp(seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha256", base32(SECRET)).update(counter).digest();
  const offset = (mac.at(-1) ?? 0) & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e8).padStart(8, "0");
}

step("a new vault gets logins: one with a one-time code, weak and reused passwords", async () => {
  driver = await startDriver();
  session = await Session.create(driver.port, application);
  await session.click("button.secondary");
  await session.find("#master");
  await session.type("#master", MASTER);
  await session.type("#master-again", MASTER);
  await session.waitForText("[data-testid=strength-label]", /^Very strong|^Strong/);
  await session.click("button[type=submit]");
  await session.find("select[aria-label='New item']");
  await addItem(session, "login", { title: "Mail", username: "ada", password: "password1" });
  await addItem(session, "login", { title: "Bank", username: "ada", password: STRONG });
  await addItem(session, "login", { title: "Shop", username: "ada", password: STRONG, urls: "http://shop.example" });
});

step("a secret that cannot make codes is refused with words saying why", async () => {
  await draftItem(session, "login", { title: "ACME", username: "ada", password: "x7$Kq9!mZp2#Lr8@Wn4v" });
  await session.fill("[name=totp_secret]", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=0");
  await session.click(SAVE);
  await session.waitForText("form.editor [role=alert]", /6 to 8 digits/);
  await session.screenshotsEverywhere("totp-refused");
});

step("the detail view shows the code the test computes from the same secret and time", async () => {
  await session.fill("[name=totp_secret]", URI);
  await session.click(SAVE);
  await session.waitForText("#detail-title", /^ACME/);
  await session.waitForText("[data-testid=totp-code]", /\d{4} \d{4}/);
  // Read the code with the time on either side: a period boundary between the two is allowed.
  const before = Date.now() / 1000;
  const shown = (await session.text("[data-testid=totp-code]")).replace(/\s/g, "");
  const after = Date.now() / 1000;
  assert.ok([totp(before), totp(after), totp(before - 1)].includes(shown), `${shown} is not ${totp(before)}`);
  assert.match(await session.text("[role=timer]"), /^\d+ s$/);
  assert.equal(await session.execute("return document.body.innerText.includes(arguments[0])", [SECRET]), false);
  await session.screenshotsEverywhere("totp-detail");
  await session.click("button[aria-label='Copy password']");
  await session.waitForText(".notice-line", /Password copied/);
  await session.execute("[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Copy code').click()");
  await session.waitForText(".notice-line", /One-time code copied/);
});

step("the Health tab lists weak and reused logins and insecure websites, each opening the editor", async () => {
  await waitForTitles(session, ["ACME", "Bank", "Mail", "Shop"]);
  await session.waitForText("[data-testid=health-summary]", /1 weak · 2 reused · 1 insecure/);
  await session.execute("[...document.querySelectorAll('nav.tabs button')].find((b) => b.textContent.trim() === 'Health').click()");
  await session.waitForText("#weak-title", /Weak passwords \(1\)/);
  assert.match(await session.text("#reused-title"), /Reused passwords \(2\)/);
  assert.match(await session.text("section[aria-labelledby=insecure-title]"), /http:\/\/shop\.example/);
  assert.match(await session.text("section[aria-labelledby=leaked-title]"), /Only the first 5 characters/);
  await session.screenshotsEverywhere("health");
  await session.click("button[aria-label='Change the password of Mail']");
  await session.waitForText("#editor-title", /Edit login/);
  assert.equal(await session.execute("return document.querySelector('[name=title]').value"), "Mail");
});
