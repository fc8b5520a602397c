/**
 * DestinationRule TLS on the proxyless gRPC data plane: a real grpc-js-xds client and an
 * `XdsServer` in STRICT mTLS on loopback, configured only by compiled resources. DISABLE sends
 * plaintext, which the server refuses; ISTIO_MUTUAL is served; SIMPLE, which grpc-js-xds cannot
 * honour, fails closed — the client ACKs the cluster with no endpoints and its calls fail
 * UNAVAILABLE instead of going out in the clear.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import { createSelfSignedRoot } from "../../../ca/self-signed-root";
import {
  nodeKeyGenerator,
  nodeSigner,
  systemClock,
  systemRandomBytes,
} from "../../../ca/server/node-crypto";
import type { IstioObject } from "../../../mesh/api";
import { applyEvent, storeOf, type MeshStore, type StoreObject } from "../../../mesh/store";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import { compile } from "../../../xds/compile";
import { TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { pinXdsServerToLoopback } from "../../harness/xds-bootstrap";
import { callEcho, ECHO_SERVICE, echoHandlers, freeLoopbackPort } from "../../harness/xds-echo";
import { mtlsBootstrapOptions, writeWorkloadCertFolder } from "../../harness/xds-mtls";
import { checkedSnapshot } from "./fixtures";
import { eventually } from "../../harness/poll";

jest.setTimeout(120_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- bootstrap JSON */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const MESHED = { "security.istio.io/tlsMode": "istio" };
const node = (name: string) => `sidecar~127.0.0.1~${name}.default~default.svc.cluster.local`;
const NODES = {
  echo: { id: node("echo"), labels: { app: "echo", ...MESHED } },
  client: { id: node("client"), labels: { app: "client", ...MESHED } },
} as const;

/** One call's answer, or `error:<code>`. */
const call = (client: grpc.Client) => callEcho(client, 2_000);
const threeCalls = (client: grpc.Client) => Promise.all([1, 2, 3].map(() => call(client)));

function istio(kind: string, name: string, spec: Json, namespace = "default"): StoreObject {
  const group = kind === "PeerAuthentication" ? "security.istio.io" : "networking.istio.io";
  return {
    apiVersion: `${group}/v1`,
    kind,
    metadata: { name, namespace },
    spec,
  } as unknown as IstioObject as StoreObject;
}

/** Service echo:9080 → its proxyless pod on 127.0.0.1:`port` as sa/echo, and its EndpointSlice. */
function echoWorkload(port: number): StoreObject[] {
  return [
    {
      kind: "Service",
      metadata: { name: "echo", namespace: "default" },
      spec: { selector: { app: "echo" }, ports: [{ name: "grpc", port: 9080, targetPort: port }] },
    },
    {
      kind: "Pod",
      metadata: {
        name: "echo",
        namespace: "default",
        labels: NODES.echo.labels,
        annotations: { "inject.istio.io/templates": "grpc-agent" },
      },
      spec: { serviceAccountName: "echo" },
      status: { podIP: "127.0.0.1", phase: "Running" },
    },
    {
      kind: "EndpointSlice",
      metadata: {
        name: "echo-1",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "echo" },
      },
      endpoints: [
        {
          addresses: ["127.0.0.1"],
          conditions: { ready: true },
          targetRef: { kind: "Pod", name: "echo", namespace: "default" },
        },
      ],
      ports: [{ name: "grpc", port }],
    },
  ] as StoreObject[];
}

/** The node's bootstrap, with its labels and the `default` file_watcher certificate provider. */
function meshOptions(adsPort: number, who: keyof typeof NODES, certDir: string) {
  return mtlsBootstrapOptions(adsPort, NODES[who].id, certDir, NODES[who].labels);
}

describe("DestinationRule TLS from a proxyless gRPC client to a STRICT server", () => {
  const cache = new SnapshotCache();
  const logger = { warn: () => undefined, info: () => undefined, debug: () => undefined };
  const tmp = mkdtempSync(join(tmpdir(), "rigging-upstream-tls-"));
  const clients: grpc.Client[] = [];
  let server: grpcXds.XdsServer | undefined;
  let ads: DiscoveryServer;
  let adsPort: number;
  let store: MeshStore;
  const certs: Record<string, string> = {};

  /** Compiles both nodes' snapshots; returns the client's cluster and endpoint versions. */
  function publish(): { cds?: string; eds?: string } {
    for (const { id, labels } of Object.values(NODES)) {
      const r = compile(store, {
        id,
        metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: labels },
      });
      if (!r.ok) throw new Error(r.errors.join("\n"));
      cache.set(id, checkedSnapshot(r.value));
    }
    const versions = cache.get(NODES.client.id)!.versions;
    return { cds: versions.get(TypeUrl.cluster), eds: versions.get(TypeUrl.endpoint) };
  }

  /** Applies a DestinationRule with `tls`; resolves once the client ACKed clusters and endpoints. */
  async function withRule(tls: Json): Promise<grpc.Client> {
    store = applyEvent(store, {
      type: "MODIFIED",
      object: istio("DestinationRule", "echo", { host: "echo", trafficPolicy: { tls } }),
    });
    const want = publish();
    // A fresh channel each time, so no reconnect backoff from an earlier phase carries over.
    const client = new grpc.Client(
      "xds:///echo.default.svc.cluster.local:9080",
      new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()),
      meshOptions(adsPort, "client", certs.client!),
    );
    clients.push(client);
    const first = call(client); // the first call makes the channel subscribe
    await eventually("the client's ACK of its clusters and endpoints", async () => {
      const conns = ads.status.byNode(NODES.client.id);
      const acked = (type: XdsTypeUrl, version?: string) =>
        conns.some(c => c.types.get(type)?.lastAck?.version === version);
      const nacked = conns.some(c => [...c.types.values()].some(t => t.lastNack));
      if (nacked) throw new Error("the client NACKed its configuration");
      return acked(TypeUrl.cluster, want.cds) && acked(TypeUrl.endpoint, want.eds)
        ? true
        : undefined;
    });
    await first; // its answer depends on timing; the phases assert fresh calls
    return client;
  }

  beforeAll(async () => {
    grpcXds.register();
    const made = createSelfSignedRoot({
      key: nodeKeyGenerator(),
      now: systemClock,
      randomBytes: systemRandomBytes,
      signerFor: nodeSigner,
    });
    if (!made.ok) throw new Error(made.errors.join("\n"));
    for (const sa of ["echo", "client"])
      certs[sa] = writeWorkloadCertFolder(
        made.value.authority,
        made.value.files["root-cert.pem"],
        sa,
        tmp,
      );
    ads = new DiscoveryServer({ cache, registry: new Registry(), logger });
    adsPort = await ads.listen("127.0.0.1:0");
    const port = await freeLoopbackPort();
    store = storeOf([
      istio("PeerAuthentication", "default", { mtls: { mode: "STRICT" } }, "istio-system"),
      ...echoWorkload(port),
    ]);
    publish();
    server = new grpcXds.XdsServer(
      meshOptions(adsPort, "echo", certs.echo!) as ConstructorParameters<
        typeof grpcXds.XdsServer
      >[0],
    );
    server.addService(ECHO_SERVICE, echoHandlers("echo"));
    const address = `127.0.0.1:${port}`;
    await new Promise<void>((resolve, reject) => {
      server!.bindAsync(
        address,
        new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
        err => (err ? reject(err) : resolve()),
      );
      pinXdsServerToLoopback(server!, address);
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    server?.forceShutdown();
    await ads?.stop(100);
    rmSync(tmp, { recursive: true, force: true });
  });

  // ISTIO_MUTUAL first: it also proves the server is up, so the refusals below are TLS's doing.
  it("ISTIO_MUTUAL: mesh certificates, served", async () => {
    const client = await withRule({ mode: "ISTIO_MUTUAL" });
    const served = async () => ((await call(client)) === "echo" ? "ok" : undefined);
    expect(await eventually("an mTLS call", served)).toBe("ok");
    expect(await threeCalls(client)).toEqual(["echo", "echo", "echo"]);
  });

  it("DISABLE: plaintext, refused by the STRICT server", async () => {
    const client = await withRule({ mode: "DISABLE" });
    expect(await threeCalls(client)).toEqual(["error:14", "error:14", "error:14"]);
  });

  it("SIMPLE: inexpressible for grpc-js-xds, fails closed even where plaintext would work", async () => {
    // The server now takes plaintext, so only failing closed (not Istio's plaintext) fails here.
    store = applyEvent(store, {
      type: "MODIFIED",
      object: istio("PeerAuthentication", "default", { mtls: { mode: "DISABLE" } }, "istio-system"),
    });
    publish();
    const listener = cache.get(NODES.echo.id)!.versions.get(TypeUrl.listener);
    await eventually("the server's plaintext listener ACK", async () =>
      ads.status
        .byNode(NODES.echo.id)
        .some(c => c.types.get(TypeUrl.listener)?.lastAck?.version === listener)
        ? true
        : undefined,
    );
    const client = await withRule({ mode: "SIMPLE", caCertificates: "/etc/ca.pem" });
    expect(await threeCalls(client)).toEqual(["error:14", "error:14", "error:14"]);
    // Control: plaintext asked for by DISABLE is served by the same server.
    const plaintext = await withRule({ mode: "DISABLE" });
    const served = async () => ((await call(plaintext)) === "echo" ? "ok" : undefined);
    expect(await eventually("a plaintext call", served)).toBe("ok");
  });
});
