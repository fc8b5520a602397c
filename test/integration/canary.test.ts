/**
 * Issue 9 end to end: a `Canary` construct synthesized, applied through the API server with the
 * module running, and observed by a grpc-js-xds client whose only configuration is what the
 * module compiled. Backends are echo servers on 127.0.0.31–32, registered as WorkloadEntries
 * selected by a MESH_INTERNAL ServiceEntry; no packet leaves loopback.
 */
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Canary } from "../../constructs";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { fetchProxyReports } from "../../cli/xds/csds-client";
import { synth, testChart } from "../constructs/synth";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { applyOrFail, eventually } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { bootstrapOptions } from "../harness/xds-bootstrap";
import {
  countAnswers,
  echoHandlers,
  expectBinomial,
  runEcho,
  startEchoServer,
  timedEcho,
} from "../harness/xds-echo";

const HOST = "reviews.default.svc.cluster.local";
const CLIENT = "sidecar~127.0.0.5~client.default~default.svc.cluster.local";
const RPCS = 1_000;

describe("a Canary construct steering real gRPC traffic", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let xdsPort: number;
  let client: grpc.Client;
  const backends: grpc.Server[] = [];

  const apply = (docs: unknown[]) => applyOrFail(cluster, docs);
  const canaryAt = (step: number) => {
    const chart = testChart("default");
    new Canary(chart, "reviews", {
      name: "reviews",
      service: HOST,
      stable: { app: "reviews", version: "v1" },
      candidate: { app: "reviews", version: "v2" },
      port: 9080,
      steps: [10, 100],
      step,
    });
    return synth(chart);
  };
  const routeVersion = async () => {
    const reports = await fetchProxyReports(
      { xdsAddress: `127.0.0.1:${xdsPort}`, timeout: "5" },
      { nodeId: CLIENT },
    );
    const rds = reports.map(r => r.types.RDS);
    return rds.length > 0 && rds.every(t => t?.state === "SYNCED" && t.acked?.version === t.version)
      ? rds[0]?.version
      : undefined;
  };
  /** Applies the canary at `step` and waits until the client has ACKed the new routes. */
  const moveTo = async (step: number) => {
    const before = await routeVersion();
    apply(canaryAt(step));
    await eventually(`the client to ACK the canary's step ${step}`, async () => {
      const now = await routeVersion();
      return now !== undefined && now !== before ? true : undefined;
    });
    await new Promise(r => setTimeout(r, 150)); // the ACK precedes the resolver's update by a tick
  };

  beforeAll(async () => {
    grpcXds.register();
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    xdsPort = await freePort();
    session = await startTestModule({
      env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`, RIGGING_XDS_TLS_ADDRESS: "off" },
    });
    const entries: unknown[] = [];
    for (const v of [1, 2]) {
      const { port, server } = await startEchoServer(`127.0.0.3${v}`, echoHandlers(`v${v}`));
      backends.push(server);
      entries.push({
        apiVersion: "networking.istio.io/v1",
        kind: "WorkloadEntry",
        metadata: { name: `reviews-v${v}`, namespace: "default" },
        spec: {
          address: `127.0.0.3${v}`,
          ports: { grpc: port },
          labels: { app: "reviews", version: `v${v}` },
        },
      });
    }
    entries.push({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: "reviews", namespace: "default" },
      spec: {
        hosts: [HOST],
        ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        workloadSelector: { labels: { app: "reviews" } },
      },
    });
    apply(entries);
    apply(canaryAt(1));
    client = new grpc.Client(
      `xds:///${HOST}:9080`,
      grpc.credentials.createInsecure(),
      bootstrapOptions(xdsPort, CLIENT, { app: "client" }),
    );
    await eventually("the client to reach reviews through the module's xDS", async () =>
      (await timedEcho(client, {}, 2_000)).who.startsWith("v") ? true : undefined,
    );
  }, 240_000);

  afterAll(async () => {
    client?.close();
    for (const b of backends) b.forceShutdown();
    await session?.stop();
    await cluster?.stop();
  });

  it("splits 90/10 at the first step", async () => {
    const counts = countAnswers(await runEcho(client, RPCS));
    expect(Object.keys(counts).sort()).toEqual(["v1", "v2"]);
    expectBinomial(counts.v2 ?? 0, RPCS, 0.1);
  });

  it("sends everything to the candidate at step 100, and everything back at step 0", async () => {
    await moveTo(2);
    expect(countAnswers(await runEcho(client, RPCS))).toEqual({ v2: RPCS });
    await moveTo(0);
    expect(countAnswers(await runEcho(client, RPCS))).toEqual({ v1: RPCS });
  });
});
