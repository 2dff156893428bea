// The tests of a suite are steps on shared state (the same apps, service and accounts), each
// building on the ones before. Once a step fails, the later ones are skipped with a note that
// names it, so that one broken step reports as one failure, not as the failures it causes.
import { test } from "node:test";

/**
 * Returns `step(name, fn)`: node:test's `test` for a suite whose tests build on each other.
 * The suite's set-up is its first step (a failed `before` hook would fail every test).
 */
export function steps() {
  /** @type {string | null} */
  let broken = null;
  /**
   * @param {string} name
   * @param {(t: import("node:test").TestContext) => Promise<void>} fn
   */
  return (name, fn) =>
    test(name, async (t) => {
      if (broken !== null) {
        t.skip(`not run: it builds on "${broken}", which failed`);
        return;
      }
      try {
        await fn(t);
      } catch (err) {
        broken = name;
        throw err;
      }
    });
}
