import { Gauge, type Registry } from "prom-client";
import {
  decideLease,
  electionIntervals,
  microTime,
  stillLeads,
  type LeaseDecision,
  type Observation,
} from "./lease-decision";
import type { LeaseStore } from "./lease-store";
import type { ControlPlaneLogger } from "./logger";

/**
 * Runs the election loop of one replica: every retry period it reads the Lease, lets
 * `lease-decision.ts` decide, and writes (conditionally on the version read). Only the leader
 * does the cluster-wide writes that must happen once (publishing `istio-ca-root-cert`, see
 * `root-cert-configmaps.ts`); every replica serves xDS and signs with the shared root.
 */

/** What the elector needs. */
export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  /** This replica's identity (pod name and a random suffix: a restarted container is new). */
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly logger: ControlPlaneLogger;
  /** Local clock in ms. @default Date.now */
  readonly now?: () => number;
  /** Where `rigging_leader` is registered; none when undefined. */
  readonly registry?: Registry;
  /** Called once each time this replica becomes the leader. */
  readonly onStartedLeading?: () => void;
}

/** One replica's side of the election. */
export class LeaderElector {
  readonly identity: string;
  readonly #options: LeaderElectorOptions;
  readonly #now: () => number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #gauge: Gauge | undefined;
  #observed: Observation | undefined;
  #leading = false;
  #lastRenewMs = 0;
  #holderSeen: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.identity = options.identity;
    this.#now = options.now ?? Date.now;
    ({ renewDeadlineMs: this.#renewDeadlineMs, retryMs: this.#retryMs } = electionIntervals(
      options.leaseDurationSeconds,
    ));
    this.#gauge = options.registry
      ? new Gauge({
          name: "rigging_leader",
          help: "1 while this replica holds the control-plane Lease (it publishes istio-ca-root-cert), else 0.",
          registers: [options.registry],
        })
      : undefined;
    this.#gauge?.set(0);
  }

  /** Whether this replica leads now: it won the Lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.#leading && stillLeads(this.#lastRenewMs, this.#now(), this.#renewDeadlineMs);
  }

  /** Starts the loop (the first attempt runs at once). */
  start(): void {
    if (this.#running || this.#stopped) return;
    const loop = async (): Promise<void> => {
      await this.tick();
      if (!this.#stopped) {
        this.#timer = setTimeout(() => void (this.#running = loop()), this.#retryMs);
        this.#timer.unref();
      }
    };
    this.#running = loop();
  }

  /** Stops the loop and, if leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    if (!this.isLeader()) return this.#setLeading(false, "stopped");
    const { store } = this.#options;
    try {
      const record = await store.read();
      if (record?.spec.holderIdentity === this.identity) {
        await store.update(record.resourceVersion, {
          ...record.spec,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          renewTime: microTime(this.#now()),
        });
      }
    } catch (err) {
      this.#options.logger.warn(
        { lease: store.name, identity: this.identity, err: (err as Error).message },
        "could not release the control-plane Lease; another replica takes over when it expires",
      );
    }
    this.#setLeading(false, "released");
  }

  /** One round: read, decide, write. Exposed for tests that drive the clock. */
  async tick(): Promise<void> {
    const { store, logger } = this.#options;
    try {
      const record = await store.read();
      const nowMs = this.#now();
      const { decision, observed } = decideLease({
        name: store.name,
        me: this.identity,
        nowMs,
        record,
        observed: this.#observed,
        timing: { leaseDurationSeconds: this.#options.leaseDurationSeconds },
      });
      this.#observed = observed;
      if (decision.action === "wait") {
        this.#follow(decision);
        return this.#setLeading(false, "lost");
      }
      if (decision.action === "acquire" && decision.reason === "malformed") {
        logger.warn(
          { lease: store.name, problems: decision.problems },
          `Lease ${store.name}: malformed, taking it over`,
        );
      }
      const wrote =
        decision.action === "create"
          ? await store.create(decision.spec)
          : await store.update(record!.resourceVersion, decision.spec);
      if (wrote) {
        this.#lastRenewMs = nowMs;
        this.#observed = undefined;
        this.#setLeading(true, decision);
      } else if (!this.isLeader()) {
        this.#setLeading(false, "lost");
      }
    } catch (err) {
      logger.warn(
        { lease: store.name, identity: this.identity, err: (err as Error).message },
        "leader election: could not reach the Lease",
      );
      if (!this.isLeader()) this.#setLeading(false, "renew deadline passed");
    }
  }

  #follow(decision: Extract<LeaseDecision, { action: "wait" }>): void {
    if (this.#holderSeen === decision.holder) return;
    this.#holderSeen = decision.holder;
    this.#options.logger.info(
      { lease: this.#options.store.name, identity: this.identity, leader: decision.holder },
      "following the control-plane leader",
    );
  }

  #setLeading(leading: boolean, why: LeaseDecision | string): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#gauge?.set(leading ? 1 : 0);
    const { logger, store } = this.#options;
    if (leading) {
      this.#holderSeen = this.identity;
      const how =
        typeof why !== "object"
          ? { reason: why }
          : why.action === "acquire"
            ? { previousLeader: why.from, reason: why.reason }
            : { reason: why.action === "create" ? "created" : "renewed" };
      logger.info(
        {
          lease: store.name,
          identity: this.identity,
          leaseDurationSeconds: this.#options.leaseDurationSeconds,
          ...how,
        },
        "became the control-plane leader",
      );
      this.#options.onStartedLeading?.();
    } else {
      logger.info(
        { lease: store.name, identity: this.identity, reason: why },
        "stopped leading the control plane",
      );
    }
  }
}
