/**
 * The CSDS contract between the server (`xds/server/csds.ts`) and `rig` (`xds/status/`): what
 * the server records about a connection survives encoding and decoding, with and without the
 * per-type summaries.
 */
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import { decodeClientStatusRequest, encodeClientStatusResponse } from "../../../xds/server/csds";
import { ConnectionStatus } from "../../../xds/server/proxy-status";
import { sotwSubscription } from "../../../xds/server/subscription";
import { decodeStatusResponse, encodeStatusRequest } from "../../../xds/status/client-status";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../../harness/xds-resources";

const NODE = "sidecar~10.0.0.1~client.default~default.svc.cluster.local";

function snapshot(): Snapshot {
  const result = createSnapshot([
    clientListener("svc:80", "route-80"),
    weightedRoute("route-80", "svc:80", { a: 100 }),
    edsCluster("a"),
    endpoints("a", [9001]),
  ]);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

/** A connection that ACKed CDS and LDS, NACKed RDS, has EDS unanswered and never asked for SDS. */
function connection(s: Snapshot): ConnectionStatus {
  const c = new ConnectionStatus(
    `${NODE}-1`,
    {
      nodeId: NODE,
      nodeKey: NODE,
      cluster: "client.default",
      metadata: { ISTIO_VERSION: "1.24.0", LABELS: { app: "client" } },
      userAgent: "envoy 1.32.0",
    },
    "sotw",
    Date.UTC(2025, 0, 1),
  );
  const send = (typeUrl: XdsTypeUrl, nonce: string, at: number, names?: string[]) => {
    c.recordSubscription(typeUrl, sotwSubscription(typeUrl, undefined, names ?? []));
    const resources = [...s.resources.get(typeUrl)!.values()];
    c.recordSent(typeUrl, { nonce, version: s.versions.get(typeUrl)!, at }, resources, []);
  };
  const t0 = Date.UTC(2025, 0, 1, 0, 0, 1);
  send(TypeUrl.cluster, "n1", t0);
  c.recordAnswer(TypeUrl.cluster, "n1", t0 + 10);
  send(TypeUrl.endpoint, "n2", t0 + 20, ["a"]);
  send(TypeUrl.listener, "n3", t0 + 30);
  c.recordAnswer(TypeUrl.listener, "n3", t0 + 40);
  send(TypeUrl.route, "n4", t0 + 50, ["route-80", "missing"]);
  c.recordAnswer(TypeUrl.route, "n4", t0 + 60, { code: 3, message: "route-80: weights sum to 0" });
  return c;
}

describe("CSDS between the discovery server and rig", () => {
  const s = snapshot();

  it("carries per-type summaries, the connection and the NACK when rig asks", () => {
    const query = decodeClientStatusRequest(encodeStatusRequest());
    expect(query).toEqual({
      nodeIdMatchers: [],
      excludeResourceContents: true,
      typeSummaries: true,
    });
    const [report, ...rest] = decodeStatusResponse(
      encodeClientStatusResponse([connection(s)], query),
    );
    expect(rest).toEqual([]);
    expect(report).toMatchObject({
      nodeId: NODE,
      cluster: "client.default",
      userAgent: "envoy 1.32.0",
      metadata: { ISTIO_VERSION: "1.24.0", LABELS: { app: "client" } },
      connection: { id: `${NODE}-1`, variant: "sotw", connectedAt: "2025-01-01T00:00:00.000Z" },
    });
    expect(Object.keys(report!.types).sort()).toEqual(["CDS", "EDS", "LDS", "RDS"]);
    expect(report!.types.CDS).toMatchObject({
      state: "SYNCED",
      version: s.versions.get(TypeUrl.cluster),
      sentAt: "2025-01-01T00:00:01.000Z",
      acked: { version: s.versions.get(TypeUrl.cluster), at: "2025-01-01T00:00:01.010Z" },
      nacks: 0,
      resources: 1,
    });
    expect(report!.types.EDS).toMatchObject({ state: "STALE", nacks: 0 });
    expect(report!.types.EDS!.acked).toBeUndefined();
    expect(report!.types.RDS).toMatchObject({
      state: "ERROR",
      version: s.versions.get(TypeUrl.route),
      nack: {
        version: s.versions.get(TypeUrl.route),
        at: "2025-01-01T00:00:01.060Z",
        detail: "route-80: weights sum to 0",
      },
      nacks: 1,
    });
    // Per-resource entries stay as standard CSDS has them, contents left out on request.
    const route = report!.resources.find(r => r.name === "route-80");
    expect(route).toMatchObject({
      type: "RDS",
      state: "ERROR",
      nack: { detail: "route-80: weights sum to 0" },
    });
    expect(route!.config).toBeUndefined();
    expect(report!.resources.find(r => r.name === "missing")).toMatchObject({ state: "NOT SENT" });
  });

  it("filters by node id and decodes resource contents for proxy-config", () => {
    const other = new ConnectionStatus(
      "other-1",
      { nodeId: "other", nodeKey: "other", cluster: "", metadata: {}, userAgent: "" },
      "delta",
      0,
    );
    const query = decodeClientStatusRequest(
      encodeStatusRequest({ nodeId: NODE, withContents: true }),
    );
    const reports = decodeStatusResponse(encodeClientStatusResponse([other, connection(s)], query));
    expect(reports.map(r => r.nodeId)).toEqual([NODE]);
    const route = reports[0]!.resources.find(r => r.name === "route-80")!;
    expect(route.config).toMatchObject({
      "@type": TypeUrl.route,
      name: "route-80",
      virtual_hosts: [{ domains: ["svc:80"] }],
    });
  });

  it("a plain CSDS request gets no summaries; rig then derives each type's state from its resources", () => {
    const plain = decodeClientStatusRequest(Buffer.alloc(0));
    expect(plain.typeSummaries).toBe(false);
    const [report] = decodeStatusResponse(encodeClientStatusResponse([connection(s)], plain));
    expect(report!.connection).toBeUndefined();
    expect(Object.fromEntries(Object.entries(report!.types).map(([k, t]) => [k, t.state]))).toEqual(
      {
        CDS: "SYNCED",
        EDS: "STALE",
        LDS: "SYNCED",
        RDS: "ERROR",
      },
    );
    expect(report!.types.RDS!.nack?.detail).toBe("route-80: weights sum to 0");
  });

  it("reports a Secret's state but never its contents (private keys)", () => {
    const made = createSnapshot([
      {
        "@type": TypeUrl.secret,
        name: "kubernetes://cred",
        tls_certificate: {
          certificate_chain: { inline_string: "CERTIFICATE" },
          private_key: { inline_string: "PRIVATE-KEY-MATERIAL" },
        },
      },
    ]);
    if (!made.ok) throw new Error(made.errors.join("\n"));
    const gateway = new ConnectionStatus(
      "gw-1",
      { nodeId: "router~gw", nodeKey: "router~gw", cluster: "", metadata: {}, userAgent: "" },
      "sotw",
      0,
    );
    gateway.recordSubscription(
      TypeUrl.secret,
      sotwSubscription(TypeUrl.secret, undefined, ["kubernetes://cred"]),
    );
    const held = [...made.value.resources.get(TypeUrl.secret)!.values()];
    gateway.recordSent(TypeUrl.secret, { nonce: "s1", version: "v", at: 1 }, held, []);
    gateway.recordAnswer(TypeUrl.secret, "s1", 2);
    const query = decodeClientStatusRequest(encodeStatusRequest({ withContents: true }));
    const encoded = encodeClientStatusResponse([gateway], query);
    expect(Buffer.from(encoded).toString("latin1")).not.toContain("PRIVATE-KEY-MATERIAL");
    const [report] = decodeStatusResponse(encoded);
    const secret = report!.resources.find(r => r.name === "kubernetes://cred");
    expect(secret).toMatchObject({ type: "SDS", state: "SYNCED" });
    expect(secret!.config).toBeUndefined();
  });
});
