/**
 * Polls `cond` every `everyMs` until it holds; rejects with `what` in the message after `ms`.
 * For tests that wait on other processes or peers (never for timing assertions).
 */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 30_000,
  everyMs = 50,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not reached in ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
