/**
 * Issue 17: a replica that cannot reach the API server stops serving as ready, and its proxies
 * move. Two replicas behind the Service stand-in; replica A reaches the API server through a
 * relay that the test cuts (a partition: B and the test still reach it). A must turn unready on
 * `/ready` once its bound (RIGGING_API_CONTACT_BOUND_MS, 3 s here) has passed, drain its xDS
 * connections, and its proxies must reconnect to B without a failed call; a change made during
 * the partition reaches them through B; when the relay is restored, A is ready again.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import {
  clientNodeId,
  reviewsClients,
  routeAllTo,
  startReviewsBackends,
} from "../harness/failover-mesh";
import { applyOrFail, eventually } from "../harness/kube";
import { startReplica, synced, type Replica } from "../harness/replicas";
import { readyEcho, startTraffic, totals } from "../harness/rpc-traffic";
import { isReady, startServiceProxy, type ServiceProxy } from "../harness/service-proxy";
import { startTcpRelay, type TcpRelay } from "../harness/tcp-relay";

const CLIENTS = 4;
const BOUND_MS = 3_000;
const HOSTS = Array.from({ length: CLIENTS }, (_, i) => `127.0.0.${81 + i}`);
const started = performance.now();
const step = (what: string) =>
  process.stderr.write(
    `[api-loss +${((performance.now() - started) / 1000).toFixed(1)}s] ${what}\n`,
  );

/** `GET /ready` on 127.0.0.1:`port`: status and body. */
function readiness(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/ready", timeout: 5_000 }, res => {
      let body = "";
      res.on("data", chunk => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("a replica cut off from the API server", () => {
  let cluster: LocalCluster;
  let relay: TcpRelay;
  let a: Replica;
  let b: Replica;
  let service: ServiceProxy;
  let clients: Record<string, grpc.Client> = {};
  let stopBackends = () => {};
  const nodes = Array.from({ length: CLIENTS }, (_, i) => clientNodeId(i));

  /** Which replica each of our clients is synced on. */
  const placement = async () => {
    const out = new Map<string, string>();
    for (const r of [a, b]) {
      for (const report of await r.reports().catch(() => [])) {
        if (nodes.includes(report.nodeId) && synced(report)) out.set(report.nodeId, r.name);
      }
    }
    return out;
  };

  beforeAll(async () => {
    grpcXds.register();
    step("starting the cluster");
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    relay = await startTcpRelay(Number(new URL(cluster.state.server).port));
    const relayed = join(mkdtempSync(join(tmpdir(), "rigging-api-loss-")), "kubeconfig");
    writeFileSync(
      relayed,
      readFileSync(cluster.kubeconfigPath, "utf8").replace(
        cluster.state.server,
        `https://127.0.0.1:${relay.port}`,
      ),
    );
    const backends = await startReviewsBackends();
    stopBackends = backends.stop;
    const bound = { RIGGING_API_CONTACT_BOUND_MS: String(BOUND_MS) };
    step("starting replica a (through the relay)");
    // Pepr's watcher ends the process when its watches fail 5 resyncs in a row (5 s apart by
    // default; the kubelet then restarts the pod). Slower resyncs keep A alive for this test,
    // which is about what A does while it runs: turn unready, drain, and come back.
    a = await startReplica("a", { ...bound, KUBECONFIG: relayed, PEPR_RESYNC_DELAY_SECONDS: "60" });
    applyOrFail(cluster, backends.docs);
    step("starting replica b");
    b = await startReplica("b", bound);
    service = await startServiceProxy(
      [a, b].map(r => ({ name: r.name, port: r.xdsPort, readyPort: r.readyPort })),
      { hosts: HOSTS },
    );
    await eventually("both replicas to report ready", async () =>
      service.ready().length === 2 ? true : undefined,
    );
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
    await relay?.restore().catch(() => undefined);
    await b?.stop();
    await a?.stop();
    await relay?.close();
    await cluster?.stop();
  });

  it("turns unready, sends its proxies to the other replica without a failed call, and is ready again once it reconnects", async () => {
    const before = await eventually("every client synced, on both replicas", async () => {
      const found = await placement();
      const spread = new Set(found.values()).size === 2;
      return found.size === CLIENTS && spread ? found : undefined;
    });
    const onA = nodes.filter(n => before.get(n) === "a");

    const traffic = startTraffic(clients);
    await new Promise(r => setTimeout(r, 1_000));
    step("cutting replica a off the API server");
    const cutAt = performance.now();
    await relay.cut();
    let lastReadiness = "";

    const unready = await eventually(
      "replica a to report unready",
      async () => {
        a.assertAlive();
        const r = await readiness(a.readyPort);
        lastReadiness = `${r.status} ${r.body}`;
        return r.status === 503 ? r.body : undefined;
      },
      30_000,
    ).catch(err => {
      throw new Error(
        `${String(err)}; last /ready: ${lastReadiness}; replica a's log:\n${a.log.slice(-15).join("\n")}`,
      );
    });
    const unreadyMs = performance.now() - cutAt;
    expect(unready).toMatch(/no contact with the Kubernetes API server for \d+\.\ds/);
    expect(await isReady(b.readyPort)).toBe(true);

    await eventually(
      "every client synced on b",
      async () => {
        const found = await placement();
        return nodes.every(n => found.get(n) === "b") ? true : undefined;
      },
      // Bounded by the clients' reconnect backoff: it took 6 s alone, more than 30 s on a
      // machine running other suites. The time itself is printed below.
      60_000,
    );
    const movedMs = performance.now() - cutAt;
    expect((await a.reports()).filter(r => nodes.includes(r.nodeId))).toEqual([]);

    // A change during the partition reaches every client, through B.
    const changedAt = performance.now();
    applyOrFail(cluster, [routeAllTo("v2")]);
    await eventually(
      "every client to be routed to v2",
      async () =>
        Object.values(traffic.tallies).every(
          t => t.recent.length >= 4 && t.recent.slice(-4).every(w => w === "v2"),
        )
          ? true
          : undefined,
      30_000,
    );
    const changeMs = performance.now() - changedAt;
    await traffic.stop();

    step("restoring the relay");
    const restoredAt = performance.now();
    await relay.restore();
    await eventually("replica a to report ready again", async () =>
      (await isReady(a.readyPort)) ? true : undefined,
    );
    const readyAgainMs = performance.now() - restoredAt;

    const { ok, failed } = totals(traffic.tallies);
    process.stdout.write(
      `api loss: bound ${BOUND_MS} ms; ${onA.length} of ${CLIENTS} clients on the cut-off replica; ` +
        `unready after ${unreadyMs.toFixed(0)} ms, every client on the other replica after ` +
        `${movedMs.toFixed(0)} ms; change during the partition reached every client in ` +
        `${changeMs.toFixed(0)} ms; ready again ${readyAgainMs.toFixed(0)} ms after the relay returned; ` +
        `RPCs ok ${ok}, failed ${failed}\n`,
    );
    expect(onA.length).toBeGreaterThan(0);
    expect(Object.values(traffic.tallies).flatMap(t => t.errors)).toEqual([]);
    expect(failed).toBe(0);
  });
});
