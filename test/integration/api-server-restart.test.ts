/**
 * Issue 17: the Kubernetes API server restarts while proxies run. The control plane's watches
 * break and must resume; meanwhile, and when they relist, no proxy may be pushed a partial state
 * (a cluster or listener missing because the store was refilled from scratch), calls keep
 * working, and changes made after the restart arrive (the watches really resumed): a route
 * change, and a new Service whose full-state cluster push must still hold every earlier cluster.
 */
import type * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { restartApiServer } from "../../cli/local-cluster/restart";
import { TypeUrl } from "../../xds/encode/type-urls";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { reviewsClients, routeAllTo, startReviewsBackends } from "../harness/failover-mesh";
import { applyOrFail, eventually } from "../harness/kube";
import { startReplica, type Replica } from "../harness/replicas";
import { readyEcho, startTraffic, totals } from "../harness/rpc-traffic";
import { SotwTestClient } from "../harness/xds-sotw-client";

const CLIENTS = 3;
const RATINGS_CLUSTER = "outbound|9080||ratings.default.svc.cluster.local";
/** A Service added after the restart, so that clusters are pushed again (in full, as SotW does). */
const ratings = {
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name: "ratings", namespace: "default" },
  spec: {
    hosts: ["ratings.default.svc.cluster.local"],
    ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
    location: "MESH_INTERNAL",
    resolution: "STATIC",
    endpoints: [{ address: "127.0.0.43" }],
  },
};
const started = performance.now();
const step = (what: string) =>
  process.stderr.write(
    `[api-server-restart +${((performance.now() - started) / 1000).toFixed(1)}s] ${what}\n`,
  );

describe("the API server restarts while proxies run", () => {
  let cluster: LocalCluster;
  let replica: Replica;
  let clients: Record<string, grpc.Client> = {};
  let sidecar: SotwTestClient | undefined;
  let stopBackends = () => {};

  beforeAll(async () => {
    grpcXds.register();
    step("starting the cluster");
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const backends = await startReviewsBackends();
    stopBackends = backends.stop;
    step("starting the control plane");
    // A bound well past the restart: this test is about watches, not about draining.
    replica = await startReplica("a", { RIGGING_API_CONTACT_BOUND_MS: "120000" });
    applyOrFail(cluster, backends.docs);
    clients = reviewsClients(CLIENTS, [`127.0.0.1:${replica.xdsPort}`]);
    for (const [node, client] of Object.entries(clients)) {
      await eventually(`${node} to reach reviews v1`, async () =>
        (await readyEcho(client, 2_000)) === "v1" ? true : undefined,
      );
    }
    step("set up");
  }, 400_000);

  afterAll(async () => {
    sidecar?.close();
    for (const c of Object.values(clients)) c.close();
    stopBackends();
    await replica?.stop();
    await cluster?.stop();
  });

  it("keeps every proxy's full configuration through the restart, and follows a change made after it", async () => {
    // An Envoy-like sidecar holding every cluster and listener: each response it gets is the
    // whole state of that type, so a partial push would show as missing names.
    sidecar = new SotwTestClient(replica.xdsPort, {
      nodeId: "sidecar~127.0.0.8~watcher.default~default.svc.cluster.local",
      metadata: { NAMESPACE: "default", LABELS: { app: "watcher" } },
    });
    const full = [TypeUrl.cluster, TypeUrl.listener];
    for (const t of full) sidecar.subscribe(t, []);
    await sidecar.waitFor(
      () => full.every(t => (sidecar!.state.get(t)?.size ?? 0) > 0),
      30_000,
      "the sidecar's clusters and listeners",
    );
    const baseline = new Map(full.map(t => [t, [...sidecar!.state.get(t)!.keys()].sort()]));
    expect(baseline.get(TypeUrl.cluster)).toContain(
      "outbound|9080|v1|reviews.default.svc.cluster.local",
    );
    const responsesBefore = sidecar.responses.length;

    const traffic = startTraffic(clients);
    await new Promise(r => setTimeout(r, 1_000));
    step("restarting kube-apiserver");
    const restart = await restartApiServer(cluster, { downMs: 3_000 });
    step(
      `kube-apiserver back (stopped in ${restart.stoppingMs} ms, ready ${restart.startingMs} ms after start)`,
    );

    // The watches resumed: a change made after the restart reaches every client.
    const changedAt = performance.now();
    applyOrFail(cluster, [routeAllTo("v2"), ratings]);
    const reached = new Map<string, number>();
    await eventually(
      "every client to be routed to v2 after the restart",
      async () => {
        for (const [n, t] of Object.entries(traffic.tallies)) {
          if (!reached.has(n) && t.recent.length >= 4 && t.recent.slice(-4).every(w => w === "v2"))
            reached.set(n, performance.now() - changedAt);
        }
        return reached.size === CLIENTS ? true : undefined;
      },
      90_000,
    );
    await traffic.stop();
    const { ok, failed } = totals(traffic.tallies);
    // The new Service came as a full-state push of clusters: it must hold every earlier one too.
    await sidecar.waitFor(
      () => sidecar!.state.get(TypeUrl.cluster)?.has(RATINGS_CLUSTER) ?? false,
      30_000,
      "the sidecar to receive the ratings cluster",
    );

    // Every full-state response after the baseline still named every cluster and listener.
    const during = sidecar.responses
      .slice(responsesBefore)
      .filter(r => full.includes(r.typeUrl as never));
    const partial = during
      .map(r => ({
        type: r.typeUrl,
        missing: baseline.get(r.typeUrl as never)!.filter(n => !r.names.includes(n)),
      }))
      .filter(r => r.missing.length > 0);
    process.stdout.write(
      `api-server restart: down ${(restart.stoppingMs + 3_000 + restart.startingMs).toFixed(0)} ms ` +
        `(ready ${restart.startingMs} ms after start); change after the restart reached every client in ` +
        `${Math.max(...reached.values()).toFixed(0)} ms; full-state responses during and after: ` +
        `${during.length}, partial: ${partial.length}; RPCs ok ${ok}, failed ${failed}\n`,
    );
    expect(during.length).toBeGreaterThan(0);
    expect(partial).toEqual([]);
    expect(sidecar.ended).toBeUndefined();
    expect(Object.values(traffic.tallies).flatMap(t => t.errors)).toEqual([]);
    expect(failed).toBe(0);
  });
});
