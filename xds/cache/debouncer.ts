/**
 * Debounces change events before a push: wait for `quietMs` without new events, but never
 * longer than `maxDelayMs` after the first event of a batch (istiod's PILOT_DEBOUNCE_AFTER and
 * PILOT_DEBOUNCE_MAX). Events are merged by the caller's `merge`; a push in progress is never
 * overlapped — events arriving during it start the next batch.
 *
 * Timers and the clock are injected, so tests drive time by hand.
 */

/** The timer functions the debouncer uses (a subset of Node's, injectable). */
export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Runs `fn` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** Debouncer settings. */
export interface DebouncerOptions<E> {
  /** Quiet period after the last event before flushing. @default 100 */
  readonly quietMs?: number;
  /** Longest a batch waits after its first event. @default 10000 */
  readonly maxDelayMs?: number;
  /** Injected clock and timers. */
  readonly timers: Timers;
  /** Merges two events of one batch into one. */
  readonly merge: (a: E, b: E) => E;
  /** Receives each merged batch; a returned promise holds the next flush until it settles. */
  readonly flush: (batch: E, info: { events: number; waitedMs: number }) => void | Promise<void>;
}

/** A running debouncer. */
export interface Debouncer<E> {
  /** Adds an event to the current batch. */
  push(event: E): void;
  /** Flushes the pending batch now (e.g. on shutdown); resolves when that flush settles. */
  flushNow(): Promise<void>;
  /** Drops the pending batch and cancels the timer. */
  cancel(): void;
}

/** Creates a debouncer; see the module comment for the timing rules. */
export function createDebouncer<E>(options: DebouncerOptions<E>): Debouncer<E> {
  const quietMs = options.quietMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const { timers, merge, flush } = options;
  let batch: { event: E; events: number; firstAt: number } | undefined;
  let timer: unknown;
  let inFlight: Promise<void> | undefined;
  let flushWhenIdle = false;

  const schedule = (): void => {
    if (!batch) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    const untilCap = batch.firstAt + maxDelayMs - timers.now();
    timer = timers.setTimeout(fire, Math.max(0, Math.min(quietMs, untilCap)));
  };

  const run = (): Promise<void> => {
    if (!batch) return Promise.resolve();
    const current = batch;
    batch = undefined;
    let result: void | Promise<void>;
    try {
      result = flush(current.event, {
        events: current.events,
        waitedMs: timers.now() - current.firstAt,
      });
    } catch {
      result = undefined;
    }
    if (!(result instanceof Promise)) return Promise.resolve();
    inFlight = result
      .catch(() => undefined)
      .then(() => {
        inFlight = undefined;
        if (flushWhenIdle) {
          flushWhenIdle = false;
          void run();
        }
      });
    return inFlight;
  };

  function fire(): void {
    timer = undefined;
    if (inFlight) flushWhenIdle = true;
    else void run();
  }

  return {
    push(event: E): void {
      if (batch) batch = { ...batch, event: merge(batch.event, event), events: batch.events + 1 };
      else batch = { event, events: 1, firstAt: timers.now() };
      schedule();
    },
    async flushNow(): Promise<void> {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      if (inFlight) await inFlight;
      await run();
    },
    cancel(): void {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      batch = undefined;
      flushWhenIdle = false;
    },
  };
}
