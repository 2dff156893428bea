// Smoke test: the real app binary starts under Xvfb and shows the welcome screen.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { after } from "node:test";

import { steps } from "./lib/steps.mjs";
import { Session, startDriver } from "./lib/webdriver.mjs";

const step = steps();

const application = process.env.KEYHAVEN_APP_BIN ?? "";
/** @type {Awaited<ReturnType<typeof startDriver>>} */
let driver;
/** @type {Session} */
let session;

step("the app starts", async () => {
  assert.ok(application, "KEYHAVEN_APP_BIN must name the app binary (scripts/e2e.sh sets it)");
  driver = await startDriver();
  session = await Session.create(driver.port, application);
});

after(async () => {
  await session?.delete();
  await driver?.stop();
});

step("the welcome screen shows the product and both ways in", async () => {
  assert.equal(await session.text("h1"), "Keyhaven");
  assert.equal(await session.text("button.primary"), "Connect to Keyhaven Account");
  assert.equal(await session.text("button.secondary"), "Get started without an account");
  assert.match(await session.text("[data-testid=version]"), /^Keyhaven \d+\.\d+\.\d+$/);
  assert.equal(await session.execute("return document.documentElement.dataset.theme"), "light");
  const shot = await session.screenshot("welcome-light");
  assert.ok(statSync(shot).size > 5_000, "the screenshot holds a rendered window");
});

step("the welcome screen renders in the dark theme", async () => {
  await session.execute("document.documentElement.dataset.theme = 'dark'");
  const background = await session.execute("return getComputedStyle(document.body).backgroundColor");
  assert.equal(background, "rgb(15, 20, 32)");
  await session.screenshot("welcome-dark");
});

step("connecting opens Keyhaven Account sign-in, and Back returns to the welcome screen", async () => {
  await session.click("button.primary");
  await session.find("#sign-in-email");
  assert.match(await session.text("#connect-title"), /Keyhaven Account/);
  await session.execute(
    "[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Back').click()",
  );
  await session.find("#welcome-title");
});
