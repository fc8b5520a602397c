/**
 * Whether this replica still reaches the Kubernetes API server. A replica that cannot has watches
 * that no longer follow the cluster: it would go on serving what it last saw while the other
 * replicas serve the present. So it probes the API server on a timer, and once no probe has
 * succeeded for a bound (RIGGING_API_CONTACT_BOUND_MS), it reports unready on `/ready` — the
 * Service then stops sending it new connections — and drains its xDS connections, so that
 * the proxies on it reconnect through the Service to a replica that can see the cluster. Until it
 * is ready again it drains whatever still arrives (`unready-drain.ts`): the Service drops the
 * endpoint only after the kubelet's probes fail.
 *
 * Why drain rather than refuse: a proxy keeps its last configuration while it reconnects (Envoy
 * and gRPC clients both do), so a drain costs nothing but a new stream, and a stream that still
 * arrives is answered with the last state this replica saw: while the Service lists no ready
 * replica, a proxy is served stale config, as istiod serves it, rather than none. The bound
 * (10 s by default) lets a quick API server restart pass unnoticed, and acts before Pepr's watcher
 * gives up on its watches (5 failed resyncs 5 s apart) and ends the process, which the kubelet
 * then restarts: drained proxies have by then moved to a replica that can see the cluster.
 */

/** What the probes found so far. */
export interface ApiContactState {
  /** When this replica started probing (a clock in ms). */
  readonly since: number;
  /** When a probe last succeeded, if ever. */
  readonly lastOk?: number;
  /** Why the last probe failed, when it did. */
  readonly lastError?: string;
}

/** Reachable, or not with the reason `/ready` shows. */
export interface ApiContactVerdict {
  readonly reachable: boolean;
  readonly reason?: string;
}

/**
 * The API server counts as reachable while the last success (or the start, before any) is at most
 * `boundMs` old.
 */
export function apiContactVerdict(
  state: ApiContactState,
  now: number,
  boundMs: number,
): ApiContactVerdict {
  const age = now - (state.lastOk ?? state.since);
  if (age <= boundMs) return { reachable: true };
  const seconds = (age / 1000).toFixed(1);
  const detail = state.lastError ? `: ${state.lastError}` : "";
  return {
    reachable: false,
    reason:
      state.lastOk === undefined
        ? `no contact with the Kubernetes API server since start ${seconds}s ago${detail}`
        : `no contact with the Kubernetes API server for ${seconds}s${detail}`,
  };
}

/** What {@link ApiContactMonitor} needs. */
export interface ApiContactOptions {
  /** One request to the API server; resolves when it answered at all. */
  readonly probe: () => Promise<void>;
  /** Longest time without contact that still counts as reachable. */
  readonly boundMs: number;
  /** Time between probes. @default boundMs / 5 */
  readonly intervalMs?: number;
  /** A probe unanswered after this long failed. @default boundMs / 3 */
  readonly timeoutMs?: number;
  /** Called when the verdict flips. */
  readonly onChange?: (verdict: ApiContactVerdict) => void;
  /** Clock in ms. @default Date.now */
  readonly now?: () => number;
}

/** Probes the API server on a timer and keeps the verdict. */
export class ApiContactMonitor {
  #state: ApiContactState;
  #reachable = true;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  readonly #now: () => number;

  constructor(private readonly options: ApiContactOptions) {
    this.#now = options.now ?? Date.now;
    this.#state = { since: this.#now() };
  }

  /** The verdict now. */
  verdict(): ApiContactVerdict {
    return apiContactVerdict(this.#state, this.#now(), this.options.boundMs);
  }

  /** Starts probing (the first probe at once). */
  start(): void {
    if (this.#timer) return;
    const interval = this.options.intervalMs ?? Math.max(100, this.options.boundMs / 5);
    this.#timer = setInterval(() => void this.probeOnce(), interval);
    this.#timer.unref();
    void this.probeOnce();
  }

  /** Stops probing. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One probe, then the verdict is re-evaluated; overlapping calls are skipped. */
  async probeOnce(): Promise<void> {
    if (this.#probing) return this.#evaluate();
    this.#probing = true;
    const timeoutMs = this.options.timeoutMs ?? Math.max(100, this.options.boundMs / 3);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.options.probe(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      this.#state = { since: this.#state.since, lastOk: this.#now() };
    } catch (err) {
      this.#state = { ...this.#state, lastError: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
    this.#evaluate();
  }

  #evaluate(): void {
    const verdict = this.verdict();
    if (verdict.reachable === this.#reachable) return;
    this.#reachable = verdict.reachable;
    this.options.onChange?.(verdict);
  }
}
