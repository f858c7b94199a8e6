// Polling until something is so, for the tests (re-exported by
// test/support/ports.ts) and for the demo that `npm start` runs. It lives
// here rather than in test/support because the demo is what a user runs and
// leans on nothing that exists for the tests.

/** Polls `check` until it resolves truthy or the deadline passes; the last error it threw is in the message. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 100 } = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}
