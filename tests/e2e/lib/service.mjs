// The real Keyhaven Account service (`keyhaven-server serve`) on a loopback port with its own
// SQLite data dir; SMS codes are read from its outbox. It can be killed and started again on the
// same port and data, as when a server dies and comes back, or paused to hold a sync mid-way.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { freePort, waitForPort } from "./webdriver.mjs";

const TARGET = process.env.CARGO_TARGET_DIR ?? "/var/tmp/keyhaven-target";

/**
 * @param {Record<string, string>} settings extra `KEYHAVEN_SERVER_*` settings
 * @param {{ port?: number }} options a port chosen beforehand (when others must know the URL first)
 */
export async function startService(settings = {}, { port: chosen } = {}) {
  const bin = process.env.KEYHAVEN_SERVER_BIN ?? path.join(TARGET, "debug", "keyhaven-server");
  if (!existsSync(bin)) throw new Error(`no keyhaven-server at ${bin}; run make e2e`);
  let port = chosen ?? (await freePort());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyhaven-e2e-service-"));
  const logDir = process.env.KEYHAVEN_E2E_LOGS ?? path.join(process.cwd(), "artifacts", "logs");
  mkdirSync(logDir, { recursive: true });
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;
  const start = async () => {
    const env = {
      ...process.env,
      KEYHAVEN_SERVER_DATA_DIR: dataDir,
      KEYHAVEN_SERVER_LISTEN: `127.0.0.1:${port}`,
      ...settings,
    };
    const log = openSync(path.join(logDir, `keyhaven-server-${port}.log`), "a");
    const started = spawn(bin, ["serve"], { env, stdio: ["ignore", log, log] });
    child = started;
    closeSync(log);
    await waitForPort(port, 20_000, started);
    // Something listens: it must be this service (another process may have taken the port).
    const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
    if (!health?.ok || started.exitCode !== null) {
      started.kill("SIGKILL");
      throw new Error(`keyhaven-server did not start on 127.0.0.1:${port}; see its log in ${logDir}`);
    }
  };
  // A port picked here may be taken before the service binds it: then pick another. A port the
  // caller chose is already known to others, so it must be that one.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      if (chosen !== undefined || attempt === 3) throw err;
      port = await freePort();
    }
  }
  const outbox = path.join(dataDir, "sms-outbox.jsonl");
  /** @returns {{ to: string, code: string }[]} */
  const sent = () =>
    existsSync(outbox)
      ? readFileSync(outbox, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      : [];
  return {
    url: `http://127.0.0.1:${port}`,
    /** The service's data directory (its SQLite database is there). */
    dataDir,
    /** How many items the service holds, deleted ones included (read from its SQLite file). */
    storedItems() {
      const db = path.join(dataDir, "keyhaven.db");
      const count = execFileSync(
        "python3",
        ["-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM vault_items').fetchone()[0])", db],
        { encoding: "utf8" },
      );
      return Number(count.trim());
    },
    /** How many codes were sent so far. */
    codesSent: () => sent().length,
    /** Waits for a code sent after `after` codes and returns it. */
    async nextCode(after = 0, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const all = sent();
        if (all.length > after) return /** @type {string} */ (all[all.length - 1]?.code);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("no SMS code reached the outbox");
    },
    /** Kills the service: its port closes and every connection drops. */
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGKILL");
      await exited;
    },
    /**
     * Freezes the service (SIGSTOP): connections are accepted by the kernel and then get no
     * answer, so a sync that reaches it waits, held, until `resume`.
     */
    pause() {
      child?.kill("SIGSTOP");
    },
    /** Lets a paused service go on (SIGCONT); what waited is answered. */
    resume() {
      child?.kill("SIGCONT");
    },
    restart: start,
  };
}
