/**
 * Gateway credentials over real gRPC on 127.0.0.1: a port that authenticates callers (the TLS
 * port's interceptor, fed a token per port, with the SubjectAccessReview authorizer answering
 * from a fake review) serves a caller that may not list Secrets the gateway's Listeners but no
 * Secrets — in SotW, Delta and per-type fetch — and one that may, both. A port that does not
 * authenticate (plaintext 15010) serves Secrets only when its server is told to (`serve`, for
 * tests and `rig dev`); in a cluster (`withhold`) it serves none, as istiod.
 */
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { requireServiceAccountToken } from "../../../control-plane/ads-auth";
import { secretAccessAuthorizer } from "../../../control-plane/secret-access";
import { ok } from "../../../mesh/result";
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { messageType } from "../../../xds/encode/proto-root";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { recordingLogger } from "../../control-plane/fakes";
import { DeltaTestClient } from "../../harness/xds-delta-client";
import { edsCluster, endpoints } from "../../harness/xds-resources";
import { SotwTestClient } from "../../harness/xds-sotw-client";

const T = "type.googleapis.com/";
const CERT = "kubernetes://gw-cert";
const READER = "gw-reader"; // the one ServiceAccount the fake review allows to list Secrets
const LISTENER = "0.0.0.0_8443";

/** A gateway's TLS listener loading its certificate over ADS, and that certificate. */
function gateway(certPem = "CERT"): Snapshot {
  const objects: ResourceObject[] = [
    edsCluster("backend"),
    endpoints("backend", [9000]),
    {
      "@type": `${T}envoy.config.listener.v3.Listener`,
      name: LISTENER,
      address: { socket_address: { address: "0.0.0.0", port_value: 8443 } },
      filter_chains: [
        {
          filters: [
            {
              name: "envoy.filters.network.tcp_proxy",
              typed_config: {
                "@type": `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
                stat_prefix: "gw",
                cluster: "backend",
              },
            },
          ],
          transport_socket: {
            name: "envoy.transport_sockets.tls",
            typed_config: {
              "@type": `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
              common_tls_context: {
                tls_certificate_sds_secret_configs: [
                  { name: CERT, sds_config: { ads: {}, resource_api_version: "V3" } },
                ],
              },
            },
          },
        },
      ],
    },
    {
      "@type": `${T}envoy.extensions.transport_sockets.tls.v3.Secret`,
      name: CERT,
      tls_certificate: {
        certificate_chain: { inline_string: certPem },
        private_key: { inline_string: "KEY" },
      },
    },
  ];
  const result = createSnapshot(objects);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

const nodeOf = (pod: string) =>
  `router~10.0.0.9~${pod}.istio-system~istio-system.svc.cluster.local`;
const nodeMetadata = { NAMESPACE: "istio-system" };
const raw = (b: Buffer): Buffer => b;

// Plays the proxy's side of the token: every call on the port carries this ServiceAccount's token.
function stampToken(serviceAccount: string): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: next =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            metadata.set("authorization", `Bearer sa:${serviceAccount}`);
            pass(metadata);
          },
        }),
    });
}

describe("gateway Secrets and the caller's right to list them", () => {
  let cache: SnapshotCache;
  let discovery: DiscoveryServer;
  let plainPort: number;
  const ports = new Map<string, number>();
  const servers: grpc.Server[] = [];
  const clients: { close(): void }[] = [];
  const xdsWarnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const reviews: string[] = [];

  const track = <C extends { close(): void }>(c: C): C => (clients.push(c), c);

  beforeAll(async () => {
    cache = new SnapshotCache();
    discovery = new DiscoveryServer({
      cache,
      registry: new Registry(),
      logger: {
        warn: (fields, msg) => void xdsWarnings.push({ fields, msg }),
        info: () => undefined,
        debug: () => undefined,
      },
    });
    plainPort = await discovery.listen("127.0.0.1:0");
    const authorize = secretAccessAuthorizer({
      logger: recordingLogger(),
      review: async spec => {
        reviews.push(spec.user);
        return { allowed: spec.user === `system:serviceaccount:istio-system:${READER}` };
      },
    });
    const authenticate = async (token: string) =>
      ok({ namespace: "istio-system", serviceAccount: token.replace(/^sa:/, "") });
    for (const sa of [READER, "ingress"]) {
      const server = new grpc.Server({
        interceptors: [
          stampToken(sa),
          requireServiceAccountToken(authenticate, authorize, recordingLogger()),
        ],
      });
      discovery.addServicesTo(server);
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
      servers.push(server);
      ports.set(sa, port);
    }
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await discovery.stop(100);
    for (const s of servers) s.forceShutdown();
  });

  /** Opens a SotW stream for `nodeId` on `port`, subscribes SDS then LDS, waits for the listener. */
  async function sotw(port: number, nodeId: string): Promise<SotwTestClient> {
    cache.set(nodeId, gateway());
    const client = track(new SotwTestClient(port, { nodeId, metadata: nodeMetadata }));
    client.subscribe(TypeUrl.secret, [CERT]);
    client.subscribe(TypeUrl.listener, []);
    await client.waitFor(() => client.state.get(TypeUrl.listener)?.has(LISTENER) ?? false);
    return client;
  }

  // A response that is not coming cannot be awaited: give it the time the others took, and more.
  const settle = () => new Promise(r => setTimeout(r, 300));

  it("SotW: a caller that may not list Secrets gets the Listener, no Secret, and one warning", async () => {
    const nodeId = nodeOf("denied-sotw");
    const client = await sotw(ports.get("ingress")!, nodeId);
    await settle();
    expect(client.state.get(TypeUrl.secret)?.size ?? 0).toBe(0);
    expect(client.responses.filter(r => r.typeUrl === TypeUrl.secret)).toEqual([]);

    // A changed certificate is withheld too, without a second warning on the same stream.
    cache.set(nodeId, gateway("CERT-2"));
    await settle();
    expect(client.state.get(TypeUrl.secret)?.size ?? 0).toBe(0);
    const mine = xdsWarnings.filter(w => w.fields.proxy === nodeId);
    expect(mine).toEqual([
      {
        fields: {
          proxy: nodeId,
          namespace: "istio-system",
          serviceAccount: "ingress",
          withheld: 1,
        },
        msg:
          `xDS node ${nodeId}: ServiceAccount istio-system/ingress may not list secrets in ` +
          "namespace istio-system: gateway credentials withheld",
      },
    ]);
  });

  it("SotW: a caller that may list Secrets gets the Listener and its certificate", async () => {
    const nodeId = nodeOf("allowed-sotw");
    const client = await sotw(ports.get(READER)!, nodeId);
    await client.waitFor(() => client.state.get(TypeUrl.secret)?.has(CERT) ?? false);
    expect(xdsWarnings.filter(w => w.fields.proxy === nodeId)).toEqual([]);
  });

  it.each([
    ["ingress", 0],
    [READER, 1],
  ])("Delta: ServiceAccount %s receives %i Secrets next to the Listener", async (sa, secrets) => {
    const nodeId = nodeOf(`delta-${sa}`);
    cache.set(nodeId, gateway());
    const client = track(new DeltaTestClient(ports.get(sa)!, nodeId));
    client.update(TypeUrl.secret, [CERT]);
    client.update(TypeUrl.listener, ["*"]);
    await client.waitFor(() => client.state.get(TypeUrl.listener)?.has(LISTENER) ?? false);
    if (secrets > 0)
      await client.waitFor(() => client.state.get(TypeUrl.secret)?.has(CERT) ?? false);
    else await settle();
    expect(client.state.get(TypeUrl.secret)?.size ?? 0).toBe(secrets);
  });

  it("per-type fetch: no Secrets for a caller that may not list them, no other namespace's node", async () => {
    const fetch = async (sa: string, nodeId: string) => {
      cache.set(nodeId, gateway());
      const client = track(
        new grpc.Client(`127.0.0.1:${ports.get(sa)!}`, grpc.credentials.createInsecure()),
      );
      const request = messageType("envoy.service.discovery.v3.DiscoveryRequest");
      const response = messageType("envoy.service.discovery.v3.DiscoveryResponse");
      const body = Buffer.from(
        request
          .encode({ node: { id: nodeId }, type_url: TypeUrl.secret, resource_names: [CERT] })
          .finish(),
      );
      return new Promise<grpc.status | number>(resolve =>
        client.makeUnaryRequest(
          "/envoy.service.secret.v3.SecretDiscoveryService/FetchSecrets",
          raw,
          raw,
          body,
          (err, res) =>
            resolve(
              err
                ? err.code
                : ((response.decode(res!) as unknown as { resources?: unknown[] }).resources
                    ?.length ?? 0),
            ),
        ),
      );
    };
    expect(await fetch(READER, nodeOf("fetch-allowed"))).toBe(1);
    expect(await fetch("ingress", nodeOf("fetch-denied"))).toBe(0);
    expect(await fetch(READER, "router~10.0.0.9~gw.shop~shop.svc.cluster.local")).toBe(
      grpc.status.PERMISSION_DENIED,
    );
  });

  it("asks the API server once per ServiceAccount, however many streams it opens", () => {
    expect([...reviews].sort()).toEqual([
      "system:serviceaccount:istio-system:gw-reader",
      "system:serviceaccount:istio-system:ingress",
    ]);
  });

  it("a port that does not authenticate serves Secrets when the server says `serve` (tests, rig dev)", async () => {
    const client = await sotw(plainPort, nodeOf("plaintext"));
    await client.waitFor(() => client.state.get(TypeUrl.secret)?.has(CERT) ?? false);
  });

  it("a cluster's plaintext 15010 (`withhold`) serves the gateway's Listener but never its key", async () => {
    const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const plain = new DiscoveryServer({
      cache,
      registry: new Registry(),
      unauthenticatedSecrets: "withhold",
      logger: {
        warn: (fields, msg) => void warnings.push({ fields, msg }),
        info: () => undefined,
        debug: () => undefined,
      },
    });
    const port = await plain.listen("127.0.0.1:0");
    try {
      const nodeId = nodeOf("plaintext-withheld");
      const client = await sotw(port, nodeId);
      await settle();
      expect(client.state.get(TypeUrl.secret)?.size ?? 0).toBe(0);
      expect(client.responses.filter(r => r.typeUrl === TypeUrl.secret)).toEqual([]);
      expect(warnings.map(w => w.msg)).toEqual([
        `xDS node ${nodeId}: connected without authentication (plaintext xDS): gateway ` +
          "credentials withheld; connect over TLS (15012) with a ServiceAccount token",
      ]);
      client.close();
    } finally {
      await plain.stop(100);
    }
  });
});
