import type { ProxyReport, TypeReport } from "../../../xds/status/client-status";
import {
  hasErrors,
  matchProxy,
  nackLines,
  proxyName,
  proxyStatusJson,
  proxyStatusTable,
  proxyVersion,
} from "../../../xds/status/proxy-status-view";

const t = (
  type: string,
  state: TypeReport["state"],
  extra: Partial<TypeReport> = {},
): TypeReport => ({
  type,
  typeUrl: `type.googleapis.com/${type}`,
  state,
  nacks: 0,
  resources: 1,
  ...extra,
});

function report(
  nodeId: string,
  types: TypeReport[],
  extra: Partial<ProxyReport> = {},
): ProxyReport {
  return {
    nodeId,
    cluster: "Kubernetes",
    userAgent: "gRPC Node 1.14.1",
    metadata: {},
    types: Object.fromEntries(types.map(x => [x.type, x])),
    resources: [],
    ...extra,
  };
}

const GOOD = report("sidecar~10.0.0.2~reviews-v1.default~default.svc.cluster.local", [
  t("CDS", "SYNCED"),
  t("LDS", "SYNCED"),
  t("EDS", "SYNCED"),
  t("RDS", "STALE"),
]);
const BAD = report(
  "sidecar~10.0.0.1~productpage.default~default.svc.cluster.local",
  [
    t("CDS", "SYNCED"),
    t("LDS", "SYNCED"),
    t("RDS", "ERROR", {
      version: "abc",
      nack: { version: "abc", at: "2025-01-01T00:00:00.000Z", detail: "weights sum to 0" },
      nacks: 2,
    }),
  ],
  { metadata: { ISTIO_VERSION: "1.24.0" } },
);

describe("proxy-status view", () => {
  it.each([
    ["sidecar~10.1.2.3~pod.ns~ns.svc.cluster.local", "pod.ns"],
    ["router~10.1.2.3~gw.istio-system~istio-system.svc.cluster.local", "gw.istio-system"],
    ["plain-node-id", "plain-node-id"],
    ["a~b~~d", "a~b~~d"],
  ])("names %s as %s", (nodeId, name) => expect(proxyName(nodeId)).toBe(name));

  it.each([
    [{ ISTIO_VERSION: "1.24.0" }, "gRPC Node 1.14.1", "1.24.0"],
    [{}, "gRPC Node 1.14.1", "gRPC Node 1.14.1"],
    [{ ISTIO_VERSION: "" }, "", "-"],
  ])("version from metadata %j and user agent %s is %s", (metadata, userAgent, expected) =>
    expect(proxyVersion(report("n", [], { metadata, userAgent }))).toBe(expected),
  );

  it("prints one row per proxy, sorted by name, NOT SENT for types never asked for", () => {
    expect(proxyStatusTable([GOOD, BAD])).toEqual({
      headers: ["NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "SDS", "VERSION"],
      rows: [
        [
          "productpage.default",
          "Kubernetes",
          "SYNCED",
          "SYNCED",
          "NOT SENT",
          "ERROR",
          "NOT SENT",
          "1.24.0",
        ],
        [
          "reviews-v1.default",
          "Kubernetes",
          "SYNCED",
          "SYNCED",
          "SYNCED",
          "STALE",
          "NOT SENT",
          "gRPC Node 1.14.1",
        ],
      ],
    });
  });

  it("lists each NACK with type, version, time and the proxy's reason", () => {
    expect(nackLines([GOOD, BAD])).toEqual([
      "productpage.default  RDS  NACK of version abc at 2025-01-01T00:00:00.000Z: weights sum to 0",
    ]);
    expect(nackLines([GOOD])).toEqual([]);
  });

  it.each([
    ["every type synced or stale", [GOOD], false],
    ["a proxy in ERROR", [BAD], true],
    ["one of two in ERROR", [GOOD, BAD], true],
    ["no proxies", [], false],
    // A NACK that a later ACK superseded is history, not an error.
    [
      "an old NACK superseded by an ACK",
      [report("n", [t("RDS", "SYNCED", { nack: { version: "old", detail: "x" }, nacks: 1 })])],
      false,
    ],
  ])("hasErrors: %s → %s", (_label, reports, expected) =>
    expect(hasErrors(reports as ProxyReport[])).toBe(expected),
  );

  it("matches a proxy by node id first, then by pod.namespace", () => {
    expect(matchProxy([GOOD, BAD], BAD.nodeId)).toEqual([BAD]);
    expect(matchProxy([GOOD, BAD], "reviews-v1.default")).toEqual([GOOD]);
    expect(matchProxy([GOOD, BAD], "nobody.default")).toEqual([]);
  });

  it("-o json spells out every type column", () => {
    const [json] = proxyStatusJson([BAD]) as {
      name: string;
      version: string;
      types: Record<string, TypeReport>;
    }[];
    expect(json!.name).toBe("productpage.default");
    expect(json!.version).toBe("1.24.0");
    expect(Object.keys(json!.types)).toEqual(["CDS", "LDS", "EDS", "RDS", "SDS"]);
    expect(json!.types.EDS).toEqual({ type: "EDS", state: "NOT SENT" });
    expect(json!.types.RDS!.nack?.detail).toBe("weights sum to 0");
  });
});
