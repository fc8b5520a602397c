/**
 * Keeps an unready replica's proxies moving. A replica that loses the API server drains its xDS
 * connections (see `api-contact.ts`), but the Service goes on sending it new connections until
 * the kubelet's readiness probes have failed and the EndpointSlice has changed: up to
 * periodSeconds × failureThreshold (5 s × 3 with the shipped manifests) plus propagation. A proxy
 * that reconnects in that window lands here again and, with a single drain, would stay on a
 * replica that no longer follows the cluster. So while unready, the replica drains again at
 * every tick at which it holds any stream; a proxy bounced this way keeps its last configuration
 * (Envoy and gRPC clients both do), and the Service sends its next connection to a ready replica
 * once the endpoint is gone.
 */

/** What {@link UnreadyDrain} acts on. */
export interface UnreadyDrainOptions {
  /** Ends every stream and sends GOAWAY on every connection, keeping the ports open. */
  readonly drain: () => void;
  /** Open xDS streams on this replica, on every port. */
  readonly openStreams: () => number;
  /** Time between re-drains while unready. */
  readonly intervalMs: number;
}

/** Drains at once when the replica turns unready, then at every tick while it holds streams. */
export class UnreadyDrain {
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: UnreadyDrainOptions) {}

  /** Whether the replica is draining (unready). */
  get active(): boolean {
    return this.#timer !== undefined;
  }

  /** The replica turned unready: drain now and keep draining arrivals. */
  unready(): void {
    this.options.drain();
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.options.openStreams() > 0) this.options.drain();
    }, this.options.intervalMs);
    this.#timer.unref();
  }

  /** The replica is ready again: proxies may stay. */
  ready(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
