// Measures issue #3's budgets on this machine, side by side with an empty Tauri 2 app built the
// same way (bench/empty-tauri): start-up to the first painted screen, idle memory (PSS of the app
// and its WebKit processes), and search-as-you-type latency on a 10,000-item vault.
// Run through `make budgets` (it builds both apps in release and starts Xvfb and D-Bus).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { Session, startDriver } from "../tests/e2e/lib/webdriver.mjs";

const KEYHAVEN = process.env.KEYHAVEN_APP_BIN ?? "";
const EMPTY = process.env.EMPTY_APP_BIN ?? "";
const CLI = process.env.KEYHAVEN_CLI_BIN ?? "";
const SEED = process.env.SEED_VAULT_BIN ?? "";
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const IDLE_MS = Number(process.env.IDLE_MS ?? 5_000);
const MASTER = "correct horse battery staple";
const BUDGET_RATIO = 1.2;
const FRAME_MS = 16;

/** @param {number[]} values @param {number} q */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** @param {number} pid @returns {number[]} pid and every descendant */
function processTree(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? -1) ?? []));
  return tree;
}

/** @param {number} pid @returns {number} proportional set size of the process tree, in KiB */
function pssKiB(pid) {
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      const rollup = readFileSync(`/proc/${member}/smaps_rollup`, "utf8");
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return total;
}

/**
 * Starts an app, waits for its first painted screen (`ui-ready` on stdout), idles, reads PSS.
 * @param {string} binary
 * @param {Record<string, string>} env
 */
async function startOnce(binary, env) {
  const started = performance.now();
  const child = spawn(binary, [], {
    env: { ...process.env, KEYHAVEN_STARTUP_PROBE: "1", ...env },
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  const readyMs = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} never reported ui-ready`)), 60_000);
    child.stdout.on("data", (chunk) => {
      if (String(chunk).includes("ui-ready")) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
    child.on("exit", (code) => reject(new Error(`${binary} exited with ${code} before ui-ready`)));
  });
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const pss = pssKiB(child.pid ?? 0);
  child.removeAllListeners("exit");
  const exited = new Promise((r) => child.on("exit", r));
  process.kill(-(child.pid ?? 0), "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  try {
    process.kill(-(child.pid ?? 0), "SIGKILL");
  } catch {
    // already gone
  }
  return { readyMs, pssKiB: pss };
}

/** A data dir with a vault in it (the unlock screen), made with the CLI. */
function dataDirWithVault() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyhaven-budget-"));
  execFileSync(CLI, ["vault", "init", "--password-stdin"], {
    env: { ...process.env, KEYHAVEN_DATA_DIR: dir },
    input: `${MASTER}\n${MASTER}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  return dir;
}

/** @typedef {{ readyMs: number[], pssKiB: number[] }} Samples */

async function startupAndMemory() {
  /** @type {{ empty: Samples, welcome: Samples, unlock: Samples }} */
  const results = { empty: { readyMs: [], pssKiB: [] }, welcome: { readyMs: [], pssKiB: [] }, unlock: { readyMs: [], pssKiB: [] } };
  const withVault = dataDirWithVault();
  // one unmeasured start of each warms the page cache, so every measured start is alike
  await startOnce(EMPTY, {});
  await startOnce(KEYHAVEN, { KEYHAVEN_DATA_DIR: withVault });
  for (let round = 0; round < ROUNDS; round++) {
    const fresh = mkdtempSync(path.join(os.tmpdir(), "keyhaven-budget-"));
    for (const [name, binary, env] of /** @type {const} */ ([
      ["empty", EMPTY, {}],
      ["welcome", KEYHAVEN, { KEYHAVEN_DATA_DIR: fresh }],
      ["unlock", KEYHAVEN, { KEYHAVEN_DATA_DIR: withVault }],
    ])) {
      const { readyMs, pssKiB } = await startOnce(binary, env);
      results[name].readyMs.push(readyMs);
      results[name].pssKiB.push(pssKiB);
    }
    rmSync(fresh, { recursive: true, force: true });
  }
  rmSync(withVault, { recursive: true, force: true });
  return results;
}

/** Times search-as-you-type in the real app on a 10,000-item vault, through WebDriver. */
async function searchLatency() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyhaven-budget-"));
  mkdirSync(dir, { recursive: true });
  execFileSync(SEED, [path.join(dir, "vault.sqlite"), "10000"], { input: `${MASTER}\n`, stdio: ["pipe", "ignore", "inherit"] });
  const driver = await startDriver({ KEYHAVEN_DATA_DIR: dir });
  const session = await Session.create(driver.port, KEYHAVEN);
  try {
    await session.find("#unlock-password");
    await session.type("#unlock-password", MASTER);
    await session.click("button[type=submit]");
    await session.waitForText(".count", /10000 items/, 30_000);
    const typed = ["g", "gi", "git", "gith", "githu", "github", "github ", "github 1", "github 12", "github 123"];
    const sequence = [...typed, ...[...typed].reverse().slice(1), "", "bank", "b", "", "zzz", ""];
    /** @type {{ ready: number, frame: number }[]} */
    const latencies = [];
    for (let round = 0; round < 5; round++) {
      for (const query of sequence) {
        latencies.push(
          await session.executeAsync(
            `const [query, done] = arguments;
             const input = document.querySelector("input[aria-label='Search the vault']");
             const list = document.querySelector("[role=listbox][aria-label=Items]");
             let start = 0;
             const observer = new MutationObserver(() => {
               if (list.dataset.query !== query) return;
               observer.disconnect();
               list.getBoundingClientRect();
               const ready = performance.now() - start;
               requestAnimationFrame((frame) => done({ ready, frame: frame - start }));
             });
             observer.observe(list, { attributes: true, attributeFilter: ["data-query"] });
             input.addEventListener("input", (event) => { start = event.timeStamp; }, { once: true });
             input.value = query;
             input.dispatchEvent(new Event("input", { bubbles: true }));`,
            [query],
          ),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // The renderer's own floor: the next frame after a one-word text change on the same screen.
    /** @type {number[]} */
    const floor = await session.executeAsync(
      `const done = arguments[0]; const out = [];
       const step = (n) => requestAnimationFrame(() => {
         const start = performance.now();
         document.querySelector(".count").textContent = "changed " + n;
         requestAnimationFrame((frame) => { out.push(frame - start); if (n > 1) setTimeout(() => step(n - 1), 50); else done(out); });
       });
       step(50);`,
    );
    await session.screenshot("vault-10k-items");
    return { latencies, floor };
  } finally {
    await session.delete();
    await driver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ONLY_SEARCH=1 skips the start-up rounds, ONLY_STARTUP=1 the search (for iterating on one).
const startup = process.env.ONLY_SEARCH
  ? { empty: { readyMs: [NaN], pssKiB: [NaN] }, welcome: { readyMs: [NaN], pssKiB: [NaN] }, unlock: { readyMs: [NaN], pssKiB: [NaN] } }
  : await startupAndMemory();
const search = process.env.ONLY_STARTUP ? { latencies: [{ ready: NaN, frame: NaN }], floor: [NaN] } : await searchLatency();
const ready = search.latencies.map((l) => l.ready);
const frames = search.latencies.map((l) => l.frame);

const median = (/** @type {number[]} */ values) => quantile(values, 0.5);
const report = {
  rounds: ROUNDS,
  idle_ms_before_pss: IDLE_MS,
  startup_ms: Object.fromEntries(
    Object.entries(startup).map(([k, v]) => [k, { median: median(v.readyMs), p90: quantile(v.readyMs, 0.9), samples: v.readyMs.map(Math.round) }]),
  ),
  pss_mib: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, median(v.pssKiB) / 1024])),
  search_10k_ms: {
    samples: ready.length,
    keystroke_to_list_ready: { median: median(ready), p95: quantile(ready, 0.95), max: Math.max(...ready) },
    keystroke_to_next_frame: { median: median(frames), p95: quantile(frames, 0.95) },
    renderer_floor_text_change_to_next_frame: { median: median(search.floor), p95: quantile(search.floor, 0.95) },
  },
};
const ratio = (/** @type {number} */ a, /** @type {number} */ b) => a / b;
const checks = [
  ["start-up to welcome", ratio(median(startup.welcome.readyMs), median(startup.empty.readyMs)), BUDGET_RATIO],
  ["start-up to unlock", ratio(median(startup.unlock.readyMs), median(startup.empty.readyMs)), BUDGET_RATIO],
  ["idle PSS at welcome", ratio(median(startup.welcome.pssKiB), median(startup.empty.pssKiB)), BUDGET_RATIO],
  ["idle PSS at unlock", ratio(median(startup.unlock.pssKiB), median(startup.empty.pssKiB)), BUDGET_RATIO],
];
console.log(JSON.stringify(report, null, 2));
let failed = false;
for (const [name, value, budget] of checks) {
  const ok = Number(value) <= Number(budget);
  failed ||= !ok;
  console.log(`${ok ? "within" : "OVER  "} budget: ${name} = ${Number(value).toFixed(2)}× the empty app (≤ ${budget}×)`);
}
const readyP95 = quantile(ready, 0.95);
const searchOk = readyP95 <= FRAME_MS;
failed ||= !searchOk;
console.log(
  `${searchOk ? "within" : "OVER  "} budget: search with 10,000 items, keystroke → list updated and laid out, p95 = ${readyP95.toFixed(1)} ms (≤ ${FRAME_MS} ms)`,
);
mkdirSync("artifacts", { recursive: true });
writeFileSync("artifacts/budgets.json", `${JSON.stringify({ ...report, checks }, null, 2)}\n`);
process.exit(failed ? 1 : 0);
