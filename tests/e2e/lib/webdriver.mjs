// A minimal W3C WebDriver client for driving the real app through tauri-driver.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

// Screenshots hang in WebKitWebDriver when compositing is disabled; fail instead of waiting forever.
const REQUEST_TIMEOUT_MS = 30_000;
// Launching the app and loading its page.
const SESSION_TIMEOUT_MS = 60_000;

/**
 * Resolves with a TCP port the OS reports free on 127.0.0.1 — free now, not reserved: whoever
 * is handed it must notice when another process took it first (waitForPort with its process).
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Binds `server` to an OS-chosen port on 127.0.0.1 (none of `avoid`) and resolves with it; no
 * window in which another process could take the port.
 * @param {net.Server} server
 * @param {number[]} avoid ports chosen for others that are not bound yet
 * @returns {Promise<number>}
 */
export async function listenOnLoopback(server, avoid = []) {
  for (;;) {
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve(undefined);
      });
    });
    const { port } = /** @type {net.AddressInfo} */ (server.address());
    if (!avoid.includes(port)) return port;
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Waits until something accepts connections on 127.0.0.1:port; with `owner`, fails as soon as
 * that process ends (say, because another one took its port) instead of waiting out the time.
 * @param {number} port
 * @param {number} timeoutMs
 * @param {import("node:child_process").ChildProcess} [owner] the process that should listen
 */
export async function waitForPort(port, timeoutMs = 20_000, owner = undefined) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (owner && (owner.exitCode !== null || owner.signalCode !== null)) {
      throw new Error(`${owner.spawnfile} ended (${owner.exitCode ?? owner.signalCode}) before it listened on 127.0.0.1:${port}`);
    }
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/**
 * Starts tauri-driver on free ports with the app's environment (its own data dir unless given).
 * With `ownKeyring`, the driver and the apps it launches get an X display, a D-Bus session and
 * an unlocked gnome-keyring of their own (xvfb-run, scripts/with-keyring.sh): another computer,
 * as far as they know.
 *
 * The driver runs in its own process group and logs to a file, so that stopping it ends
 * WebKitWebDriver and every app it launched, and no stray app keeps the test's output open.
 * @param {Record<string, string>} env
 * @param {{ ownKeyring?: boolean }} options
 */
export async function startDriver(env = {}, { ownKeyring = false } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const dataDir = env.KEYHAVEN_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-"));
  const logDir = process.env.KEYHAVEN_E2E_LOGS ?? path.join(process.cwd(), "artifacts", "logs");
  mkdirSync(logDir, { recursive: true });
  const log = openSync(path.join(logDir, `tauri-driver-${port}.log`), "a");
  const args = ["--port", String(port), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"];
  /** @type {Record<string, string | undefined>} */
  const childEnv = { ...process.env, KEYHAVEN_DATA_DIR: dataDir, ...env };
  if (ownKeyring) delete childEnv.KEYHAVEN_TEST_KEYRING;
  // Another computer: its own X display too, so that its window never covers the other's.
  const [command, commandArgs] = ownKeyring
    ? [
        "xvfb-run",
        ["--auto-servernum", "--server-args=-screen 0 1280x800x24", "scripts/with-keyring.sh", "tauri-driver", ...args],
      ]
    : ["tauri-driver", args];
  const driver = spawn(command, commandArgs, { env: childEnv, stdio: ["ignore", log, log], detached: true });
  closeSync(log);
  await waitForPort(port, 20_000, driver);
  await waitForPort(nativePort, 20_000, driver);
  const group = /** @type {number} */ (driver.pid);
  /** @param {NodeJS.Signals} signal */
  const signalGroup = (signal) => {
    try {
      process.kill(-group, signal);
    } catch {
      // the group is already gone
    }
  };
  return {
    port,
    dataDir,
    /** The process group of the driver and every app it starts. */
    group,
    stop: async () => {
      signalGroup("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      signalGroup("SIGKILL");
    },
  };
}

/** One WebDriver session on the real app binary. */
export class Session {
  /** @param {number} port @param {string} id @param {number | undefined} group */
  constructor(port, id, group) {
    this.base = `http://127.0.0.1:${port}/session/${id}`;
    /** The tauri-driver's port. */
    this.port = port;
    this.group = group;
  }

  /**
   * @param {number} port
   * @param {string} application
   * @param {number} [group] the driver's process group: screenshots then come from its app's
   *   own X display
   */
  static async create(port, application, group) {
    const res = await fetch(`http://127.0.0.1:${port}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ capabilities: { alwaysMatch: { "tauri:options": { application } } } }),
      signal: AbortSignal.timeout(SESSION_TIMEOUT_MS),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`cannot create a session: ${JSON.stringify(body)}`);
    return new Session(port, body.value.sessionId, group);
  }

  /**
   * @param {string} method
   * @param {string} route
   * @param {unknown} [payload]
   * @returns {Promise<any>}
   */
  async request(method, route, payload) {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: { "content-type": "application/json" },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch((err) => {
      throw new Error(`${method} ${route}: ${err.message}`);
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${method} ${route}: ${JSON.stringify(body.value ?? body)}`);
    return body.value;
  }

  /**
   * Finds one element by CSS selector, retrying until it appears.
   * @param {string} selector
   * @returns {Promise<string>} the element reference
   */
  async find(selector, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
      try {
        const found = await this.request("POST", "/element", { using: "css selector", value: selector });
        if (!found?.[ELEMENT]) throw new Error(`unexpected element reply ${JSON.stringify(found)}`);
        return found[ELEMENT];
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`no element matches ${selector}: ${lastError}`);
  }

  /** @param {string} selector @returns {Promise<string>} */
  async text(selector) {
    return this.request("GET", `/element/${await this.find(selector)}/text`);
  }

  /** @param {string} selector */
  async click(selector) {
    await this.request("POST", `/element/${await this.find(selector)}/click`, {});
  }

  /**
   * Types text into an input, as a person would.
   * @param {string} selector
   * @param {string} text
   */
  async type(selector, text) {
    await this.request("POST", `/element/${await this.find(selector)}/value`, { text });
  }

  /**
   * Sets an input's value the way typing does: waits for it, clears it, types `value`.
   * @param {string} selector
   * @param {string} value
   */
  async fill(selector, value) {
    await this.find(selector);
    await this.execute(
      "const el = document.querySelector(arguments[0]); el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true }));",
      [selector],
    );
    if (value) await this.type(selector, value);
  }

  /**
   * Waits until the element's text matches.
   * @param {string} selector
   * @param {RegExp} pattern
   */
  async waitForText(selector, pattern, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = await this.text(selector).catch(() => "");
      if (pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${selector} never matched ${pattern}; last text: ${JSON.stringify(last)}`);
  }

  /**
   * Where the element is on the page, in CSS pixels.
   * @param {string} selector
   * @returns {Promise<{ x: number, y: number, width: number, height: number }>}
   */
  async rect(selector) {
    return this.request("GET", `/element/${await this.find(selector)}/rect`);
  }

  /**
   * Resizes the window and waits until the page has the new size.
   * @param {number} width
   * @param {number} height
   */
  async resize(width, height, timeoutMs = 10_000) {
    await this.request("POST", "/window/rect", { width, height });
    const deadline = Date.now() + timeoutMs;
    let size = [0, 0];
    while (Date.now() < deadline) {
      size = await this.execute("return [window.innerWidth, window.innerHeight]");
      if (size[0] === width && size[1] === height) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the window never became ${width}×${height}; the page is ${size.join("×")}`);
  }

  /**
   * Runs a script in the page (WebDriver automation is not subject to the page's CSP).
   * @param {string} script
   * @param {unknown[]} args
   */
  async execute(script, args = []) {
    return this.request("POST", "/execute/sync", { script, args });
  }

  /**
   * Saves a PNG of the main window, as the X server shows it, under KEYHAVEN_SCREENSHOTS and
   * returns its path. The pixels come from X (ImageMagick `import`), not from WebDriver: without
   * GPU compositing (the app's default) WebKitWebDriver's snapshot waits for a repaint that an
   * idle page may never do.
   * @param {string} name
   * @param {string} windowTitle
   */
  async screenshot(name, windowTitle = "Keyhaven") {
    await this.request("POST", "/execute/async", {
      script: "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
      args: [],
    });
    const dir = process.env.KEYHAVEN_SCREENSHOTS ?? path.join(process.cwd(), "artifacts", "screenshots");
    const file = path.join(dir, `${name}.png`);
    const env = this.displayEnv();
    const id = this.windowId(windowTitle, env);
    if (!id) throw new Error(`no visible window named ${windowTitle} to take a screenshot of`);
    execFileSync("import", ["-window", id, file], { timeout: 20_000, env });
    return file;
  }

  /**
   * Screenshots of the screen as it is, in the light and the dark theme, at the default window
   * size and at the narrowest one (`<name>-light-960`, `<name>-dark-720`, …); the window size and
   * the theme are put back afterwards.
   * @param {string} name
   */
  async screenshotsEverywhere(name) {
    const theme = await this.execute("return document.documentElement.dataset.theme ?? null");
    /** @type {[number, number][]} */
    const sizes = [
      [960, 640],
      [720, 480],
    ];
    for (const [width, height] of sizes) {
      await this.resize(width, height);
      for (const shade of ["light", "dark"]) {
        await this.execute("document.documentElement.dataset.theme = arguments[0]", [shade]);
        await this.screenshot(`${name}-${shade}-${width}`);
      }
    }
    await this.resize(960, 640);
    await this.execute(
      "if (arguments[0] === null) delete document.documentElement.dataset.theme; else document.documentElement.dataset.theme = arguments[0];",
      [theme],
    );
  }

  /**
   * The environment that reaches this session's X display: the app's own (DISPLAY, XAUTHORITY)
   * when it runs on a display of its own, else this process's.
   * @returns {NodeJS.ProcessEnv}
   */
  displayEnv() {
    return { ...process.env, ...this.appEnv(["DISPLAY", "XAUTHORITY"]) };
  }

  /**
   * The values of `names` in the environment of this session's app (its own "computer": X
   * display, D-Bus session and keyring), or nothing when it shares this process's.
   * @param {string[]} names
   * @returns {Record<string, string>}
   */
  appEnv(names) {
    if (this.group === undefined) return {};
    let pid = "";
    try {
      // The kernel keeps 15 characters of a process name: "keyhaven-desktop" is "keyhaven-deskto".
      pid = execFileSync("pgrep", ["-g", String(this.group), "-x", "keyhaven-deskto"], { encoding: "utf8" }).trim().split("\n")[0] ?? "";
    } catch {
      return {};
    }
    return Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)])
        .filter(([name]) => names.includes(name ?? "")),
    );
  }

  /**
   * The X window id of the first visible window titled `windowTitle` on the display of `env`.
   * @param {string} windowTitle
   * @param {NodeJS.ProcessEnv} env
   * @returns {string | undefined}
   */
  windowId(windowTitle, env = process.env) {
    try {
      return execFileSync("xdotool", ["search", "--onlyvisible", "--name", `^${windowTitle}$`], {
        encoding: "utf8",
        timeout: 10_000,
        env,
      })
        .trim()
        .split("\n")[0];
    } catch {
      return undefined;
    }
  }

  /**
   * Runs an async script; it calls `arguments[arguments.length - 1]` with its result.
   * @param {string} script
   * @param {unknown[]} args
   */
  async executeAsync(script, args = []) {
    return this.request("POST", "/execute/async", { script, args });
  }

  /** @returns {Promise<string[]>} the handles of the app's open windows */
  async windowHandles() {
    return this.request("GET", "/window/handles");
  }

  /** @param {string} handle */
  async switchToWindow(handle) {
    await this.request("POST", "/window", { handle });
  }

  /**
   * Waits until a window other than `known` opens, and switches to it.
   * @param {string[]} known
   */
  async switchToNewWindow(known, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const fresh = (await this.windowHandles()).find((handle) => !known.includes(handle));
      if (fresh) {
        await this.switchToWindow(fresh);
        return fresh;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("no new window opened");
  }

  async delete() {
    await fetch(this.base, { method: "DELETE", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  }
}

/**
 * The computers a suite opens — each with its own tauri-driver, X display, D-Bus session and
 * keyring — so that one `close` ends every app and driver, even after a test failed.
 */
export class Computers {
  /** @param {string} application the app binary */
  constructor(application) {
    this.application = application;
    /** @type {Awaited<ReturnType<typeof startDriver>>[]} */
    this.drivers = [];
    /** @type {Session[]} */
    this.sessions = [];
  }

  /**
   * Starts another computer whose apps get `env`, and opens the app on it.
   * @param {Record<string, string>} env
   */
  async open(env) {
    const driver = await startDriver(env, { ownKeyring: true });
    this.drivers.push(driver);
    return this.#launch(driver.port, driver.group);
  }

  /**
   * Opens the app again on the computer of `session` (after it was closed or killed).
   * @param {Session} session
   */
  async relaunch(session) {
    return this.#launch(session.port, session.group);
  }

  /** @param {number} port @param {number | undefined} group */
  async #launch(port, group) {
    const session = await Session.create(port, this.application, group);
    this.sessions.push(session);
    return session;
  }

  /** Ends every app and computer; an app already closed or killed is no failure. */
  async close() {
    for (const session of this.sessions) await session.delete().catch(() => {});
    for (const driver of this.drivers) await driver.stop();
  }
}
