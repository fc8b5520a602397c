/**
 * Outlier detection and locality failover on the real proxyless data plane: grpc-js-xds
 * clients and `XdsServer` echo backends on 127.0.0.x (which can be told to fail every call),
 * all configured only by resources compiled from store objects and served by the in-process mesh
 * (test/harness/in-process-mesh.ts), the backends registered as WorkloadEntries.
 *
 * Outlier detection reaches gRPC as failure-percentage ejection (xds/compile/clusters/grpc-outlier.ts);
 * Istio's consecutive-error fields alone would be ignored by gRPC. Locality failover is
 * Istio's: priorities by the client's locality, only with outlier detection.
 */
import * as grpc from "@grpc/grpc-js";
import type * as grpcXds from "@grpc/grpc-js-xds";
import type { IstioObject } from "../../../mesh/api";
import type { StoreObject } from "../../../mesh/store";
import { InProcessMesh, type MeshWorkload } from "../../harness/in-process-mesh";
import { until } from "../../harness/poll";
import {
  countAnswers,
  ECHO_SERVICE,
  expectBinomial,
  freeLoopbackPort,
  runEcho,
} from "../../harness/xds-echo";

jest.setTimeout(120_000);

/** The client runs in us-east/a (its topology labels, as Istio reads a proxy's locality). */
const CLIENT: MeshWorkload = {
  name: "client",
  labels: { "topology.kubernetes.io/region": "us-east", "topology.kubernetes.io/zone": "a" },
};
const PORT = 9080;
const target = (host: string) => `${host}.default.svc.cluster.local:${PORT}`;
/** Short enough for a test of seconds; the failing backend sees far more than 3 calls per interval. */
const OUTLIER = { consecutive5xxErrors: 3, interval: "1s", baseEjectionTime: "3s" };
const BASE_EJECTION_MS = 3_000;
const INTERVAL_MS = 1_000;

/**
 * An echo backend that answers with its name, or fails every call while `failing`: a proxyless
 * workload (an `XdsServer` taking its listener from the control plane) registered as a
 * WorkloadEntry labelled `app`, in `locality` if given.
 */
interface Backend {
  readonly name: string;
  readonly address: string;
  readonly app: string;
  readonly locality?: string;
  server?: grpcXds.XdsServer;
  failing: boolean;
}

/** The backend as a mesh workload: its own address, labelled `app` (not its name). */
const workload = (b: Backend): MeshWorkload => ({
  name: b.name,
  address: b.address,
  labels: { app: b.app },
});

function handlers(b: Backend): grpc.UntypedServiceImplementation {
  return {
    Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      b.failing
        ? done({ code: grpc.status.UNAVAILABLE, details: `${b.name} is failing` })
        : done(null, Buffer.from(b.name)),
  };
}

function istio(kind: string, name: string, spec: Record<string, unknown>): StoreObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: "default" },
    spec,
  } as unknown as IstioObject as StoreObject;
}

/** A mesh-internal gRPC service on the workloads labelled `app`, served on `targetPort`. */
function service(host: string, app: string, targetPort: number) {
  return istio("ServiceEntry", host, {
    hosts: [`${host}.default.svc.cluster.local`],
    ports: [{ number: PORT, name: "grpc", protocol: "GRPC", targetPort }],
    location: "MESH_INTERNAL",
    resolution: "STATIC",
    workloadSelector: { labels: { app } },
  });
}

function workloadEntry(b: Backend) {
  return istio("WorkloadEntry", b.name, {
    address: b.address,
    labels: { app: b.app },
    ...(b.locality ? { locality: b.locality } : {}),
  });
}

/** No retries: Istio's default route retries UNAVAILABLE, which would hide failing calls. */
function noRetries(host: string) {
  const fqdn = `${host}.default.svc.cluster.local`;
  return istio("VirtualService", host, {
    hosts: [fqdn],
    http: [{ route: [{ destination: { host: fqdn } }], retries: { attempts: 0 } }],
  });
}

function rule(host: string, trafficPolicy: Record<string, unknown>) {
  return istio("DestinationRule", host, { host, trafficPolicy });
}

/** What {@link callUntil} saw: every batch, and when the first of the two good ones started. */
interface Waited {
  readonly batches: readonly Record<string, number>[];
  /** `performance.now()` at the start of the first batch of the two in a row that held. */
  readonly at: number;
}

/**
 * Calls in batches of `batch` (pausing `pauseMs` between) until `done` holds for two batches
 * in a row, so a client keeps sending while the data plane changes its mind.
 */
async function callUntil(
  client: grpc.Client,
  done: (counts: Record<string, number>) => boolean,
  what: string,
  timeoutMs: number,
  batch = 30,
  pauseMs = 20,
): Promise<Waited> {
  const batches: Record<string, number>[] = [];
  let first: number | undefined;
  /** One batch; whether it is the second of two in a row that held. */
  const twoInARow = async (): Promise<boolean> => {
    const at = performance.now();
    const counts = countAnswers(await runEcho(client, batch));
    batches.push(counts);
    if (!done(counts)) first = undefined;
    else if (first === undefined) first = at;
    else return true;
    return false;
  };
  try {
    await until(what, twoInARow, timeoutMs, pauseMs);
  } catch (err) {
    // What the client saw until then says more than the timeout alone.
    throw new Error(
      `${(err as Error).message}: ${batches.length} batches, ${JSON.stringify(sum(batches))}`,
    );
  }
  return { batches, at: first! };
}

/** Counts of several batches added up. */
function sum(batches: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of batches) for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

describe("outlier detection and locality failover on proxyless gRPC (compiled config, real grpc-js-xds)", () => {
  let mesh: InProcessMesh;
  const pool: Backend[] = [1, 2, 3].map(i => ({
    name: `pool-${i}`,
    address: `127.0.0.6${i}`,
    app: "pool",
    failing: false,
  }));
  const edge = { app: "edge", failing: false };
  const near: Backend = { name: "near", address: "127.0.0.71", locality: "us-east/a", ...edge };
  const far: Backend = { name: "far", address: "127.0.0.72", locality: "us-west/b", ...edge };

  /** Starts `b` on `port`; it serves once its listener `…/inbound/<address>:<port>` arrives. */
  async function start(b: Backend, port: number): Promise<void> {
    b.server = await mesh.server(b.name, port, [[ECHO_SERVICE, handlers(b)]]);
  }

  const client = (host: string): grpc.Client => mesh.client(CLIENT.name, target(host));

  beforeAll(async () => {
    // One port per service, each backend on its own loopback address.
    const ports = { pool: await freeLoopbackPort(), edge: await freeLoopbackPort() };
    const failover = {
      localityLbSetting: { failover: [{ from: "us-east", to: "us-west" }] },
    };
    mesh = await InProcessMesh.start({
      workloads: [CLIENT, ...[...pool, near, far].map(workload)],
      objects: [
        ...[...pool, near, far].map(workloadEntry),
        // Three backends twice: "guarded" with outlier detection, "bare" without.
        service("guarded", "pool", ports.pool),
        service("bare", "pool", ports.pool),
        rule("guarded", { outlierDetection: OUTLIER }),
        // One backend in the client's region, one in the failover region: "nearby" with outlier
        // detection (so priorities apply), "spread" with failover but none (so they do not).
        service("nearby", "edge", ports.edge),
        service("spread", "edge", ports.edge),
        rule("nearby", { outlierDetection: OUTLIER, loadBalancer: failover }),
        rule("spread", { loadBalancer: failover }),
        ...["guarded", "bare", "nearby", "spread"].map(noRetries),
      ],
    });
    for (const b of pool) await start(b, ports.pool);
    for (const b of [near, far]) await start(b, ports.edge);
  });

  afterAll(async () => {
    await mesh?.stop();
  });

  it("ejects a backend failing every call, keeps it out for baseEjectionTime, takes it back healed", async () => {
    const guarded = client("guarded");
    const bare = client("bare");
    // Round robin starts on whichever connection is up first; wait until it reaches all three.
    const everyone = (c: Record<string, number>) => pool.every(b => (c[b.name] ?? 0) > 0);
    await callUntil(guarded, everyone, "every backend", 5_000);
    await callUntil(bare, everyone, "every backend", 5_000);
    const healthy = countAnswers([...(await runEcho(guarded, 300)), ...(await runEcho(bare, 300))]);
    console.log(`all healthy (guarded + bare): ${JSON.stringify(healthy)}`);
    for (const b of pool) expectBinomial(healthy[b.name] ?? 0, 600, 1 / 3);

    pool[1]!.failing = true;
    // Without outlier detection round robin keeps sending the failing backend its third.
    const without = countAnswers(await runEcho(bare, 600));
    console.log(`pool-2 failing, no outlier detection: ${JSON.stringify(without)}`);
    expectBinomial(without["error:14"] ?? 0, 600, 1 / 3);

    // With it, the first interval check that saw pool-2's calls fail ejects it.
    const failingSince = performance.now();
    const ejected = await callUntil(
      guarded,
      c => (c["error:14"] ?? 0) === 0,
      "pool-2's ejection",
      4 * INTERVAL_MS,
    );
    const during = countAnswers(await runEcho(guarded, 600));
    console.log(
      `pool-2 failing, outlier detection: out after ${Math.round(ejected.at - failingSince)} ms ` +
        `(${JSON.stringify(sum(ejected.batches))} until then); then ${JSON.stringify(during)}`,
    );
    expect(ejected.at - failingSince).toBeLessThanOrEqual(3 * INTERVAL_MS);
    expect((during["pool-1"] ?? 0) + (during["pool-3"] ?? 0)).toBeGreaterThanOrEqual(594); // ≥ 99 %
    expect(during["pool-2"] ?? 0).toBe(0);

    // Healed, it stays out until its ejection time is over, then shares the load again.
    pool[1]!.failing = false;
    const back = await callUntil(
      guarded,
      c => (c["pool-2"] ?? 0) > 0,
      "pool-2's return",
      BASE_EJECTION_MS + 3 * INTERVAL_MS,
      30,
      50,
    );
    const out = back.at - ejected.at;
    const returned = countAnswers(await runEcho(guarded, 600));
    console.log(
      `pool-2 healed: back in rotation ${Math.round(out)} ms after it was seen out ` +
        `(baseEjectionTime ${BASE_EJECTION_MS} ms, interval ${INTERVAL_MS} ms); then ${JSON.stringify(returned)}`,
    );
    // Out for the base ejection time, returned at the interval check after it (a batch's slack).
    expect(out).toBeGreaterThanOrEqual(BASE_EJECTION_MS - 300);
    expect(out).toBeLessThanOrEqual(BASE_EJECTION_MS + 2 * INTERVAL_MS + 500);
    expect(returned["error:14"] ?? 0).toBe(0);
    for (const b of pool) expectBinomial(returned[b.name] ?? 0, 600, 1 / 3);
  });

  it("locality failover: all to the near backend; ejected or down, the far one takes over", async () => {
    // Failover configured without outlier detection: Istio sets no priorities, so no preference.
    const spreadClient = client("spread");
    const both = (c: Record<string, number>) => (c.near ?? 0) > 0 && (c.far ?? 0) > 0;
    await callUntil(spreadClient, both, "both backends", 5_000);
    const spread = countAnswers(await runEcho(spreadClient, 400));
    console.log(`failover without outlier detection: ${JSON.stringify(spread)}`);
    expect((spread.near ?? 0) + (spread.far ?? 0)).toBe(400);
    expectBinomial(spread.near ?? 0, 400, 0.5);

    const nearby = client("nearby");
    await callUntil(nearby, c => c.near === 30, "near serving", 5_000);
    const healthy = countAnswers(await runEcho(nearby, 300));
    console.log(`near healthy: ${JSON.stringify(healthy)}`);
    expect(healthy).toEqual({ near: 300 });

    // Failing, near is ejected; with no host left in priority 0 gRPC moves to priority 1.
    near.failing = true;
    const failingSince = performance.now();
    const over = await callUntil(
      nearby,
      c => (c.far ?? 0) === 30,
      "failover to far",
      4 * INTERVAL_MS,
    );
    const during = countAnswers(await runEcho(nearby, 600));
    console.log(
      `near failing: all to far after ${Math.round(over.at - failingSince)} ms ` +
        `(${JSON.stringify(sum(over.batches))} until then); then ${JSON.stringify(during)}`,
    );
    expect(over.at - failingSince).toBeLessThanOrEqual(3 * INTERVAL_MS);
    expect(during.far ?? 0).toBeGreaterThanOrEqual(594); // ≥ 99 %

    // Healed and back from ejection, near takes everything again.
    near.failing = false;
    const back = await callUntil(
      nearby,
      c => (c.near ?? 0) === 30,
      "traffic back to near",
      BASE_EJECTION_MS + 3 * INTERVAL_MS,
      30,
      50,
    );
    const returned = countAnswers(await runEcho(nearby, 300));
    console.log(
      `near healed: all back to near ${Math.round(back.at - over.at)} ms after failover; ` +
        `then ${JSON.stringify(returned)}`,
    );
    expect(returned).toEqual({ near: 300 });

    // Down hard (connections refused): the priority balancer fails over without any ejection.
    near.server!.forceShutdown();
    const downSince = performance.now();
    const down = await callUntil(nearby, c => (c.far ?? 0) === 30, "failover to far", 5_000);
    const afterDown = countAnswers(await runEcho(nearby, 300));
    console.log(
      `near down: all to far after ${Math.round(down.at - downSince)} ms ` +
        `(${JSON.stringify(sum(down.batches))} until then); then ${JSON.stringify(afterDown)}`,
    );
    expect(afterDown).toEqual({ far: 300 });
  });
});
