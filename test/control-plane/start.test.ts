import { createServer, type Server as NetServer } from "node:net";
import { connect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { toSecretData } from "../../ca/secret-data";
import { createSelfSignedRoot } from "../../ca/self-signed-root";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { describe as describeError } from "../../cli/agent/cert-agent";
import { requestCertificate } from "../../cli/agent/request-certificate";
import { MeshCa } from "../../control-plane/mesh-ca";
import { startControlPlane, type ControlPlane } from "../../control-plane/start";
import { fail, ok } from "../../mesh/result";
import { messageType } from "../../xds/encode/proto-root";
import { AUTHENTICATED_NAMESPACE_KEY } from "../../xds/server/caller";
import { MemoryStore, recordingLogger } from "./fakes";

/**
 * The control plane's two ports in-process on loopback, with an in-memory CA Secret store and a
 * fake token check (the TokenReview one is exercised against a real API server in
 * test/integration/ca.test.ts).
 */

const raw = (b: Buffer): Buffer => b;
const ADS = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
const CSDS_FETCH = "/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus";

const authenticate = async (token: string) =>
  token === "good" ? ok({ namespace: "a", serviceAccount: "x" }) : fail("token is expired");

const store = new MemoryStore();
const logger = recordingLogger();
const ca = new MeshCa({ store, logger, deps: nodeCaDeps });
const registry = new Registry();
let plane: ControlPlane;

beforeAll(async () => {
  plane = startControlPlane({
    registry,
    xdsAddress: "127.0.0.1:0",
    xdsTlsAddress: "127.0.0.1:0",
    ca,
    deps: nodeCaDeps,
    authenticate,
    logger,
  });
  await plane.ready;
});
afterAll(() => plane?.stop());

function tlsClient(metadata?: grpc.Metadata): grpc.Client {
  const creds = grpc.credentials.createSsl(Buffer.from(ca.bundle()));
  const withToken = metadata
    ? grpc.credentials.combineChannelCredentials(
        creds,
        grpc.credentials.createFromMetadataGenerator((_, cb) => cb(null, metadata)),
      )
    : creds;
  return new grpc.Client(`127.0.0.1:${plane.xdsTlsPort()}`, withToken, {
    "grpc.ssl_target_name_override": "localhost",
  });
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

function fetchCsds(client: grpc.Client): Promise<grpc.status> {
  return new Promise(resolve =>
    client.makeUnaryRequest(
      CSDS_FETCH,
      raw,
      raw,
      Buffer.alloc(0),
      { deadline: Date.now() + 5000 },
      err => resolve(err ? err.code : grpc.status.OK),
    ),
  );
}

function adsOutcome(client: grpc.Client): Promise<{ code: grpc.status; details: string } | "open"> {
  return new Promise(resolve => {
    const call = client.makeBidiStreamRequest(ADS, raw, raw);
    const timer = setTimeout(() => {
      call.cancel();
      resolve("open");
    }, 500);
    call.on("error", (err: grpc.ServiceError) => {
      clearTimeout(timer);
      resolve({ code: err.code, details: err.details });
    });
    call.on("data", () => undefined);
  });
}

function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: "127.0.0.1",
        port,
        servername: "localhost",
        ALPNProtocols: ["h2"],
        rejectUnauthorized: false,
      },
      () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      },
    );
    socket.on("error", reject);
  });
}

/** Opens ADS, sends one request for `nodeId`, and reports how the stream ended (or "open"). */
function adsAs(
  client: grpc.Client,
  nodeId: string,
  metadata = new grpc.Metadata(),
): Promise<{ code: grpc.status; details: string } | "open"> {
  return new Promise(resolve => {
    const call = client.makeBidiStreamRequest(ADS, raw, raw, metadata);
    const timer = setTimeout(() => {
      call.cancel();
      resolve("open");
    }, 800);
    call.on("error", (err: grpc.ServiceError) => {
      clearTimeout(timer);
      if (err.code !== grpc.status.CANCELLED) resolve({ code: err.code, details: err.details });
    });
    call.on("data", () => undefined);
    const request = messageType("envoy.service.discovery.v3.DiscoveryRequest");
    call.write(
      Buffer.from(
        request
          .encode({
            node: { id: nodeId },
            type_url: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
          })
          .finish(),
      ),
    );
  });
}

describe("startControlPlane", () => {
  it("binds plaintext ADS and TLS ADS + CA on the addresses given", () => {
    expect(plane.xdsPort()).toBeGreaterThan(0);
    expect(plane.xdsTlsPort()).toBeGreaterThan(0);
    expect(plane.xdsTlsPort()).not.toBe(plane.xdsPort());
  });

  it("issues a workload certificate over TLS, verified through the mesh root", async () => {
    const got = await requestCertificate(
      {
        address: `127.0.0.1:${plane.xdsTlsPort()}`,
        rootsPem: ca.bundle(),
        serverName: "localhost",
      },
      "good",
      0,
      nodeCaDeps.generateKey,
    );
    const { X509Certificate } = await import("node:crypto");
    const leaf = new X509Certificate(got.certChain[0]!);
    expect(leaf.subjectAltName).toBe("URI:spiffe://cluster.local/ns/a/sa/x");
    expect(leaf.verify(new X509Certificate(ca.authority()!.rootPem).publicKey)).toBe(true);
  });

  it("refuses a bad token on the CSR service with UNAUTHENTICATED and the reason", async () => {
    const err = await requestCertificate(
      {
        address: `127.0.0.1:${plane.xdsTlsPort()}`,
        rootsPem: ca.bundle(),
        serverName: "localhost",
      },
      "bad",
      0,
      nodeCaDeps.generateKey,
    ).catch(e => e);
    expect(describeError(err)).toBe("UNAUTHENTICATED: authentication: token is expired");
  });

  it("counts certificate calls by result, and times them, on the registry it was given", async () => {
    // The two calls above: one issued, one refused for its token.
    const metrics = await registry.getMetricsAsJSON();
    const requests = metrics.find(m => m.name === "rigging_ca_certificate_requests_total");
    expect(requests?.values.map(v => [v.labels.result, v.value]).sort()).toEqual([
      ["issued", 1],
      ["unauthenticated", 1],
    ]);
    const duration = metrics.find(m => m.name === "rigging_ca_certificate_duration_seconds");
    const counts = (
      duration?.values as Array<{ metricName?: string; labels: { result?: string }; value: number }>
    ).filter(v => v.metricName?.endsWith("_count"));
    expect(counts.map(v => [v.labels.result, v.value]).sort()).toEqual([
      ["issued", 1],
      ["unauthenticated", 1],
    ]);
  });

  it("requires a ServiceAccount token for xDS on the TLS port, not on the plaintext one", async () => {
    const anonymous = tlsClient();
    expect(await adsOutcome(anonymous)).toEqual({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringMatching(/^authorization: expected metadata "authorization: Bearer/),
    });
    expect(await fetchCsds(anonymous)).toBe(grpc.status.UNAUTHENTICATED);
    anonymous.close();
    const expired = tlsClient(bearer("bad"));
    expect(await adsOutcome(expired)).toEqual({
      code: grpc.status.UNAUTHENTICATED,
      details: "authentication: token is expired",
    });
    expired.close();
    const authed = tlsClient(bearer("good"));
    expect(await adsOutcome(authed)).toBe("open");
    expect(await fetchCsds(authed)).toBe(grpc.status.OK);
    authed.close();
    const plain = new grpc.Client(
      `127.0.0.1:${plane.xdsPort()}`,
      grpc.credentials.createInsecure(),
    );
    expect(await fetchCsds(plain)).toBe(grpc.status.OK);
    plain.close();
  });

  it("lets an authenticated caller speak only for nodes in its own namespace", async () => {
    // The "good" token is for ns/a, sa/x.
    const inA = "sidecar~10.0.0.1~app.a~a.svc.cluster.local";
    const gateway = "router~10.0.0.2~ingress.istio-system~istio-system.svc.cluster.local";
    const authed = tlsClient(); // the token goes with each call below
    expect(await adsAs(authed, inA, bearer("good"))).toBe("open");
    expect(await adsAs(authed, gateway, bearer("good"))).toEqual({
      code: grpc.status.PERMISSION_DENIED,
      details: `node ${gateway} claims namespace istio-system, but the caller's token is for namespace a`,
    });
    // A client cannot name its own namespace: the port's check replaces whatever it sent.
    const forged = bearer("good");
    forged.set(AUTHENTICATED_NAMESPACE_KEY, "istio-system");
    expect(await adsAs(authed, gateway, forged)).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    authed.close();
  });

  it("serves a new certificate after the authority changes, without rebinding", async () => {
    const port = plane.xdsTlsPort()!;
    const before = await servedCertificate(port);
    const next = createSelfSignedRoot({ ...nodeCaDeps, key: nodeCaDeps.generateKey });
    if (!next.ok) throw new Error(next.errors.join());
    store.secrets.set("cacerts", toSecretData(next.value.files));
    await ca.reload();
    const after = await servedCertificate(port);
    expect(after).not.toBe(before);
    expect(plane.xdsTlsPort()).toBe(port);
    const got = await requestCertificate(
      {
        address: `127.0.0.1:${port}`,
        rootsPem: next.value.authority.rootPem,
        serverName: "localhost",
      },
      "good",
      0,
      nodeCaDeps.generateKey,
    );
    expect(got.certChain.at(-1)).toBe(next.value.authority.rootPem);
  });

  it("logs a port it cannot bind and keeps going", async () => {
    const busy: NetServer = createServer();
    await new Promise<void>(r => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    const log = recordingLogger();
    const other = startControlPlane({
      xdsAddress: `127.0.0.1:${port}`,
      ca,
      deps: nodeCaDeps,
      authenticate,
      logger: log,
    });
    await expect(other.ready).resolves.toBeUndefined();
    expect(other.xdsPort()).toBeUndefined();
    expect(log.lines.join("\n")).toContain(
      `plaintext ADS: could not listen on 127.0.0.1:${port}; admission keeps running without it`,
    );
    await other.stop();
    busy.close();
  });

  it("never logs private keys or tokens", () => {
    const text = logger.lines.join("\n");
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toContain("good");
  });
});
