/**
 * The one way tests wait for something asynchronous: poll, with a deadline and a message that
 * says what never happened. `eventually` waits for a value, `until` for a condition.
 */

/**
 * Thrown by a probe when waiting longer cannot help (the process it waits on has exited): it
 * ends the wait at once with this error, where any other error is retried until the deadline.
 */
export class GaveUp extends Error {}

/**
 * Polls `probe` until it returns a value other than `undefined`, or fails after `timeoutMs`
 * naming `what` (and the probe's last error, if it threw: it is retried until the deadline,
 * unless it is a {@link GaveUp}).
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GaveUp) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/** Polls `predicate` (every 20 ms: in-process state changes fast) until it holds. */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<void> {
  await eventually(
    what,
    async () => ((await predicate()) ? true : undefined),
    timeoutMs,
    intervalMs,
  );
}
