import { Registry } from "prom-client";
import { LeaderElector } from "../../control-plane/leader-elector";
import type { LeaseRecord, LeaseSpec } from "../../control-plane/lease-decision";
import type { LeaseStore } from "../../control-plane/lease-store";
import { RootCertPublisher, type RootCertWriter } from "../../control-plane/root-cert-configmaps";
import { recordingLogger } from "./fakes";

/** A Lease with the API server's optimistic concurrency: a write at a stale version loses. */
class MemoryLease implements LeaseStore {
  readonly name = "pepr-system/rigging-control-plane-leader";
  record: LeaseRecord | undefined;
  #version = 0;
  reachable = true;
  async read() {
    if (!this.reachable) throw new Error("connection refused");
    return this.record;
  }
  async create(spec: LeaseSpec) {
    if (!this.reachable) throw new Error("connection refused");
    if (this.record) return false;
    this.record = { spec, resourceVersion: String(++this.#version) };
    return true;
  }
  async update(resourceVersion: string, spec: LeaseSpec) {
    if (!this.reachable) throw new Error("connection refused");
    if (this.record?.resourceVersion !== resourceVersion) return false;
    this.record = { spec, resourceVersion: String(++this.#version) };
    return true;
  }
}

describe("the leader elector over a Lease", () => {
  const clock = { ms: Date.parse("2026-12-05T12:00:00Z") };
  const now = () => clock.ms;
  const replica = (store: MemoryLease, identity: string, registry?: Registry) => {
    const logger = recordingLogger();
    const started: string[] = [];
    const elector = new LeaderElector({
      store,
      identity,
      leaseDurationSeconds: 3,
      logger,
      now,
      registry,
      onStartedLeading: () => started.push(identity),
    });
    return { elector, logger, started };
  };

  it("elects one of two replicas; the other takes over only after the lease duration", async () => {
    const store = new MemoryLease();
    const registryA = new Registry();
    const a = replica(store, "a", registryA);
    const b = replica(store, "b");
    await a.elector.tick();
    await b.elector.tick();
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(await registryA.getSingleMetricAsString("rigging_leader")).toMatch(
      /^rigging_leader 1$/m,
    );
    expect(a.logger.lines.join("\n")).toMatch(/"msg":"became the control-plane leader"/);
    expect(b.logger.lines.join("\n")).toMatch(
      /"msg":"following the control-plane leader".*"leader":"a"/,
    );

    // a stops renewing (killed): b waits out 3 s from when it saw a's last renewal.
    clock.ms += 2_900;
    await b.elector.tick();
    expect(b.elector.isLeader()).toBe(false);
    clock.ms += 100;
    await b.elector.tick();
    expect(b.elector.isLeader()).toBe(true);
    expect(store.record?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    expect(b.started).toEqual(["b"]);
    expect(b.logger.lines.join("\n")).toMatch(/"previousLeader":"a","reason":"expired"/);
    // a, past its renew deadline (2 s), no longer counts itself leader even before it ticks.
    expect(a.elector.isLeader()).toBe(false);
    await a.elector.tick();
    expect(await registryA.getSingleMetricAsString("rigging_leader")).toMatch(
      /^rigging_leader 0$/m,
    );
  });

  it("a leader that cannot reach the API server stops leading at its renew deadline", async () => {
    const store = new MemoryLease();
    const a = replica(store, "a");
    await a.elector.tick();
    store.reachable = false;
    clock.ms += 1_000;
    await a.elector.tick();
    expect(a.elector.isLeader()).toBe(true);
    clock.ms += 1_000;
    await a.elector.tick();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.logger.lines.join("\n")).toMatch(/"msg":"stopped leading the control plane"/);
  });

  it("releases the Lease on stop, so the next replica takes it at once", async () => {
    const store = new MemoryLease();
    const a = replica(store, "a");
    const b = replica(store, "b");
    await a.elector.tick();
    await b.elector.tick();
    await a.elector.stop();
    expect(store.record?.spec.holderIdentity).toBe("");
    await b.elector.tick();
    expect(b.elector.isLeader()).toBe(true);
    expect(b.logger.lines.join("\n")).toMatch(/"reason":"released"/);
  });

  it("gates root publishing: only the leader writes, naming itself", async () => {
    const store = new MemoryLease();
    const writes: string[] = [];
    const writer: RootCertWriter = {
      write: async (ns, _bundle, by) => void writes.push(`${ns} by ${by}`),
      read: async () => undefined,
      activeNamespaces: async () => ["default", "shop"],
    };
    const publishers = ["a", "b"].map(id => {
      const r = replica(store, id);
      const publisher = new RootCertPublisher(() => "ROOT", writer, r.logger, {
        mayPublish: () => r.elector.isLeader(),
        publishedBy: () => r.elector.identity,
      });
      return { ...r, publisher };
    });
    for (const p of publishers) await p.elector.tick();
    for (const p of publishers) await p.publisher.publishEverywhere();
    for (const p of publishers) await p.publisher.publishTo("new");
    expect(writes).toEqual(["default by a", "shop by a", "new by a"]);
  });
});
