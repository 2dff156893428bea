// Waiting on a condition, never on a fixed time.

/**
 * Resolves once `condition` holds (it is asked every 100 ms); fails naming `what` otherwise.
 * @param {() => boolean | Promise<boolean>} condition
 * @param {string} what the condition in words, for the failure
 */
export async function waitFor(condition, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waited ${timeoutMs} ms, but never: ${what}`);
}
