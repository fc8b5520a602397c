/**
 * Issue 17: a proxy that reconnects as Envoy does — carrying a response nonce and its versions
 * onto the new stream — is configured again by another replica. Istio's own ADS client (adsc,
 * built from Istio's Go module) connects through the Service stand-in as a sidecar; the replica
 * it is on is killed with SIGKILL; adsc's gRPC connection comes back through the Service to the
 * other replica, which must answer its first requests (non-empty nonce included) with the very
 * versions the dead replica had sent, and see them ACKed.
 */
import { TypeUrl } from "../../xds/encode/type-urls";
import {
  adscWatchBinary,
  startAdscWatch,
  type AdscEvent,
  type AdscWatch,
} from "../harness/adsc-watch";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { startReviewsBackends } from "../harness/failover-mesh";
import { applyOrFail, eventually } from "../harness/kube";
import { ackedVersions, startReplica, synced, type Replica } from "../harness/replicas";
import { startServiceProxy, type ServiceProxy } from "../harness/service-proxy";

const started = performance.now();
const step = (what: string) =>
  process.stderr.write(
    `[adsc-failover +${((performance.now() - started) / 1000).toFixed(1)}s] ${what}\n`,
  );

/** The last response of each type among `events`. */
function lastByType(events: readonly AdscEvent[]): Map<string, AdscEvent> {
  const out = new Map<string, AdscEvent>();
  for (const e of events) if (e.event === "response" && e.type) out.set(e.type, e);
  return out;
}

/** A Rigging nonce is `<per-process prefix>-<n>`: the prefix tells which replica sent it. */
const noncePrefix = (nonce: string | undefined) => nonce?.slice(0, nonce.lastIndexOf("-"));

describe("Istio's adsc moving to the surviving replica", () => {
  let cluster: LocalCluster;
  let replicas: Replica[] = [];
  let service: ServiceProxy;
  let adsc: AdscWatch | undefined;
  let stopBackends = () => {};

  beforeAll(async () => {
    adscWatchBinary(); // fail fast, with the build advice, when it is missing
    step("starting the cluster");
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const backends = await startReviewsBackends();
    stopBackends = backends.stop;
    step("starting replica a");
    const a = await startReplica("a");
    applyOrFail(cluster, backends.docs);
    step("starting replica b");
    const b = await startReplica("b");
    replicas = [a, b];
    service = await startServiceProxy(
      replicas.map(r => ({ name: r.name, port: r.xdsPort, readyPort: r.readyPort })),
    );
    await eventually("both replicas to report ready", async () =>
      service.ready().length === 2 ? true : undefined,
    );
    step("set up");
  }, 400_000);

  afterAll(async () => {
    await adsc?.stop();
    await service?.close();
    stopBackends();
    for (const r of replicas.reverse()) await r.stop();
    await cluster?.stop();
  });

  it("is configured again, at the same versions, by the other replica", async () => {
    adsc = startAdscWatch(service.addresses[0]!, "127.0.0.7", "adsc");
    const types = [TypeUrl.cluster, TypeUrl.listener, TypeUrl.endpoint];
    // Configured: clusters, listeners and the endpoints of its EDS clusters, all ACKed.
    const first = await eventually(
      "adsc to be configured and synced",
      async () => {
        for (const r of replicas) {
          const report = (await r.reports()).find(p => p.nodeId === adsc!.nodeId);
          if (report && synced(report) && types.every(t => lastByType(adsc!.events).has(t)))
            return { replica: r, report };
        }
        return undefined;
      },
      60_000,
    );
    const survivor = replicas.find(r => r !== first.replica)!;
    const before = lastByType(adsc.events);
    expect(before.get(TypeUrl.cluster)!.names).toContain(
      "outbound|9080|v1|reviews.default.svc.cluster.local",
    );
    const oldPrefix = noncePrefix(before.get(TypeUrl.cluster)!.nonce);
    const seen = adsc.events.length;

    step(`killing replica ${first.replica.name}, which adsc is on`);
    const killedAt = Date.now();
    await first.replica.kill();

    // adsc's new stream reaches the survivor through the Service and is answered for every type.
    await adsc.waitFor(
      events => {
        const after = lastByType(events.slice(seen));
        return types.every(t => after.has(t) && noncePrefix(after.get(t)!.nonce) !== oldPrefix);
      },
      30_000,
      "responses from the surviving replica",
    );
    const after = lastByType(adsc.events.slice(seen));
    const answeredMs = Math.max(...types.map(t => after.get(t)!.at)) - killedAt;
    const report = await eventually("the survivor to see adsc's ACKs", async () => {
      const r = (await survivor.reports()).find(p => p.nodeId === adsc!.nodeId);
      return r && synced(r) ? r : undefined;
    });
    const syncedMs = Date.now() - killedAt;
    for (const t of types) {
      expect([t, after.get(t)!.version]).toEqual([t, before.get(t)!.version]);
      expect([...(after.get(t)!.names ?? [])].sort()).toEqual(
        [...(before.get(t)!.names ?? [])].sort(),
      );
    }
    expect(ackedVersions(report)).toEqual(ackedVersions(first.report));
    process.stdout.write(
      `adsc failover: every type answered by the survivor ${answeredMs} ms after SIGKILL, ` +
        `ACKs seen there after ${syncedMs} ms; versions unchanged: ` +
        `${types.map(t => `${t.slice(t.lastIndexOf(".") + 1)} ${after.get(t)!.version}`).join(", ")}\n`,
    );
  });
});
