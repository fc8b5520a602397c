/**
 * Issue 17, failover for real: two control-plane replicas (the built module, two processes)
 * against one local kube-apiserver, behind a Service stand-in that spreads xDS connections
 * across the ready replicas. grpc-js-xds clients call an echo service continuously while one
 * replica is killed with SIGKILL. The clients must move to the other replica and find there the
 * very versions they held (Rigging's versions are content hashes, so two processes compiling
 * the same config agree), no call may fail, and a VirtualService changed while the replica is
 * down must reach every client. A Delta client checks the hashes against the bytes it receives
 * and reconnects with `initial_resource_versions`: the surviving replica re-sends nothing.
 */
import type * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { versionOf } from "../../xds/encode/encode-resource";
import { TypeUrl } from "../../xds/encode/type-urls";
import type { ProxyReport } from "../../xds/status/client-status";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import {
  clientNodeId,
  reviewsClients,
  routeAllTo,
  startReviewsBackends,
} from "../harness/failover-mesh";
import { applyOrFail, eventually } from "../harness/kube";
import { ackedVersions, startReplica, synced, type Replica } from "../harness/replicas";
import { readyEcho, startTraffic, totals } from "../harness/rpc-traffic";
import { startServiceProxy, type ServiceProxy } from "../harness/service-proxy";
import { DeltaTestClient } from "../harness/xds-delta-client";

const CLIENTS = 6;
const started = performance.now();
/** Progress on stderr, so a slow step shows where the time went. */
const step = (what: string) =>
  process.stderr.write(
    `[failover +${((performance.now() - started) / 1000).toFixed(1)}s] ${what}\n`,
  );
const HOSTS = Array.from({ length: CLIENTS }, (_, i) => `127.0.0.${61 + i}`);

describe("two control-plane replicas, one killed while clients call", () => {
  let cluster: LocalCluster;
  let a: Replica;
  let b: Replica;
  let service: ServiceProxy;
  let clients: Record<string, grpc.Client> = {};
  let stopBackends = () => {};
  const nodes = Array.from({ length: CLIENTS }, (_, i) => clientNodeId(i));

  /** Reports of our clients on each replica, by node id (a dead replica reports none). */
  const where = async (replicas: Replica[]) => {
    const out = new Map<string, { replica: string; report: ProxyReport }>();
    for (const r of replicas) {
      for (const report of await r.reports().catch(() => [])) {
        if (nodes.includes(report.nodeId)) out.set(report.nodeId, { replica: r.name, report });
      }
    }
    return out;
  };

  beforeAll(async () => {
    grpcXds.register();
    step("starting the cluster");
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const backends = await startReviewsBackends();
    stopBackends = backends.stop;
    // A first, then B: the dev webhooks of the replica started last call it, so admission keeps
    // working once A is gone (in a cluster both sit behind the webhook Service).
    step("starting replica a");
    a = await startReplica("a");
    applyOrFail(cluster, backends.docs);
    step("starting replica b");
    b = await startReplica("b");
    service = await startServiceProxy(
      [a, b].map(r => ({ name: r.name, port: r.xdsPort, readyPort: r.readyPort })),
      { hosts: HOSTS },
    );
    await eventually("both replicas to report ready", async () =>
      service.ready().length === 2 ? true : undefined,
    );
    step("starting the clients");
    clients = reviewsClients(CLIENTS, service.addresses);
    for (const [node, client] of Object.entries(clients)) {
      await eventually(`${node} to reach reviews v1`, async () =>
        (await readyEcho(client, 2_000)) === "v1" ? true : undefined,
      );
    }
    step("set up");
  }, 400_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) c.close();
    await service?.close();
    stopBackends();
    await b?.stop();
    await a?.stop();
    await cluster?.stop();
  });

  it("clients move to the surviving replica with the same versions, lose no call, and follow a change made during the outage", async () => {
    // The Service spread the proxies across both replicas, each fully configured.
    const before = await eventually("every client synced, on both replicas", async () => {
      const found = await where([a, b]);
      const all = nodes.every(n => found.get(n) && synced(found.get(n)!.report));
      const spread = new Set([...found.values()].map(f => f.replica)).size === 2;
      return all && spread ? found : undefined;
    });
    const onA = nodes.filter(n => before.get(n)!.replica === "a");
    const versions = new Map(nodes.map(n => [n, ackedVersions(before.get(n)!.report)]));
    // Same view, two processes compiling independently: the same content hashes.
    const distinct = new Set([...versions.values()].map(v => JSON.stringify(v)));
    expect(distinct.size).toBe(1);
    expect(Object.keys(versions.get(nodes[0]!)!).sort()).toEqual(["CDS", "EDS", "LDS", "RDS"]);

    // A Delta client on A: every resource version is the hash of the bytes received.
    const delta = new DeltaTestClient(a.xdsPort, clientNodeId(99));
    const types = [TypeUrl.cluster, TypeUrl.listener];
    for (const t of types) delta.update(t, ["*"]);
    await delta.waitFor(
      () => types.every(t => (delta.state.get(t)?.size ?? 0) > 0),
      20_000,
      "the Delta client's clusters and listeners",
    );
    for (const t of types) {
      for (const [name, bytes] of delta.values.get(t)!)
        expect([name, versionOf(t, bytes)]).toEqual([name, delta.state.get(t)!.get(name)]);
    }
    const held = new Map(types.map(t => [t, new Map(delta.state.get(t)!)]));
    const nonces = new Map(types.map(t => [t, delta.lastNonce(t)]));

    const traffic = startTraffic(clients);
    await new Promise(r => setTimeout(r, 1_000));
    const killedAt = performance.now();
    await a.kill();
    delta.close();

    // Every client that was on A is configured by B, at the versions it held.
    const moved = new Map<string, number>();
    await eventually(
      "the clients of A to be synced on B",
      async () => {
        const found = await where([b]);
        for (const n of onA) {
          if (!moved.has(n) && found.get(n) && synced(found.get(n)!.report))
            moved.set(n, performance.now() - killedAt);
        }
        return moved.size === onA.length ? found : undefined;
      },
      30_000,
    ).then(found => {
      for (const n of nodes) expect(ackedVersions(found.get(n)!.report)).toEqual(versions.get(n));
    });
    const reconnectMs = Math.max(...moved.values());

    // The Delta client resumes on B: nothing it holds is sent again.
    const resumed = new DeltaTestClient(b.xdsPort, clientNodeId(99));
    for (const t of types) resumed.resume(t, ["*"], held.get(t)!, nonces.get(t)!);
    await resumed.waitFor(
      () => types.every(t => resumed.responses.some(r => r.typeUrl === t)),
      10_000,
      "B to answer the resumed Delta client",
    );
    const resent = resumed.responses.flatMap(r => r.added.map(x => `${r.typeUrl} ${x.name}`));
    const removed = resumed.responses.flatMap(r => r.removed);
    resumed.close();
    expect({ resent, removed }).toEqual({ resent: [], removed: [] });

    // A config change while A is down reaches every client, through B.
    const changedAt = performance.now();
    applyOrFail(cluster, [routeAllTo("v2")]);
    const reached = new Map<string, number>();
    await eventually(
      "every client to be routed to v2",
      async () => {
        for (const [n, t] of Object.entries(traffic.tallies)) {
          if (!reached.has(n) && t.recent.length >= 4 && t.recent.slice(-4).every(w => w === "v2"))
            reached.set(n, performance.now() - changedAt);
        }
        return reached.size === CLIENTS ? true : undefined;
      },
      30_000,
    );
    await new Promise(r => setTimeout(r, 500));
    await traffic.stop();
    const { ok, failed } = totals(traffic.tallies);
    const errors = Object.values(traffic.tallies).flatMap(t => t.errors);

    process.stdout.write(
      `failover: ${CLIENTS} clients (${onA.length} on the killed replica); reconnect after SIGKILL ` +
        `${reconnectMs.toFixed(0)} ms (per client: ${[...moved.values()].map(v => v.toFixed(0)).join(", ")} ms); ` +
        `change during the outage reached every client in ${Math.max(...reached.values()).toFixed(0)} ms; ` +
        `RPCs ok ${ok}, failed ${failed}\n`,
    );
    expect(errors).toEqual([]);
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(100);
    expect(onA.length).toBeGreaterThan(0);
  });
});
