/**
 * The dashboard's model, table by table: what nodes and edges a set of cluster objects, proxy
 * reports and findings make. Pure: no cluster, no server.
 */
import { toResource, type Resource } from "../../../mesh/analysis";
import { makeMessage } from "../../../mesh/analysis/message";
import { buildGraph, type GraphInput } from "../../../cli/dashboard/model/build-graph";
import type { DashboardGraph, GraphNode } from "../../../cli/dashboard/model/types";
import { workloadName } from "../../../cli/dashboard/model/workloads";
import type { ProxyReport, ReportState } from "../../../xds/status/client-status";

const ok = { ok: true, address: "here" };

function res(obj: object): Resource {
  const r = toResource(obj, "default");
  if (!r) throw new Error("not a Kubernetes object");
  return r;
}

const service = (name: string, ns = "default", targetPort?: number) =>
  res({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: {
      selector: { app: name },
      ports: [{ port: 9080, name: "http", ...(targetPort ? { targetPort } : {}) }],
    },
  });

/** A Deployment's pod: `<app>-<version>-<hash>-<suffix>`, owned by its ReplicaSet. */
const pod = (app: string, version: string, n = 1, ns = "default", sa = app) =>
  res({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${app}-${version}-5f7c9-${"abcde".slice(0, n)}`,
      namespace: ns,
      labels: { app, version, "pod-template-hash": "5f7c9" },
      ownerReferences: [{ kind: "ReplicaSet", name: `${app}-${version}-5f7c9`, controller: true }],
    },
    spec: { serviceAccountName: sa },
    status: { phase: "Running" },
  });

const destinationRule = (host: string, versions: string[]) =>
  res({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: host, namespace: "default" },
    spec: { host, subsets: versions.map(v => ({ name: v, labels: { version: v } })) },
  });

const split = (host: string, weights: Record<string, number>) =>
  res({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: host, namespace: "default" },
    spec: {
      hosts: [host],
      http: [
        {
          route: Object.entries(weights).map(([subset, weight]) => ({
            destination: { host, subset },
            weight,
          })),
        },
      ],
    },
  });

const peerAuth = (ns: string, name: string, spec: object) =>
  res({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: ns },
    spec,
  });

const report = (
  podName: string,
  states: Partial<Record<string, ReportState>>,
  extra: Partial<ProxyReport> = {},
): ProxyReport => ({
  nodeId: `sidecar~10.0.0.1~${podName}~default.svc.cluster.local`,
  cluster: "c",
  userAgent: "envoy",
  metadata: {},
  types: Object.fromEntries(
    Object.entries(states).map(([type, state]) => [
      type,
      {
        type,
        typeUrl: type,
        state: state!,
        nacks: state === "ERROR" ? 1 : 0,
        resources: 1,
        ...(state === "ERROR" ? { nack: { version: "v9", detail: "bad route" } } : {}),
      },
    ]),
  ),
  resources: [],
  ...extra,
});

const bookinfoReviews = [
  service("reviews"),
  pod("reviews", "v1", 1),
  pod("reviews", "v1", 2),
  pod("reviews", "v2"),
  pod("reviews", "v3"),
  destinationRule("reviews", ["v1", "v2", "v3"]),
];

function graph(input: Partial<GraphInput>): DashboardGraph {
  return buildGraph({
    generatedAt: "2026-12-06T00:00:00.000Z",
    resources: [],
    cluster: ok,
    reports: [],
    controlPlane: ok,
    messages: [],
    ...input,
  });
}

const node = (g: DashboardGraph, id: string): GraphNode => {
  const n = g.nodes.find(x => x.id === id);
  if (!n) throw new Error(`no node ${id} in ${g.nodes.map(x => x.id).join(", ")}`);
  return n;
};

const edgesFrom = (g: DashboardGraph, id: string) =>
  g.edges
    .filter(e => e.source === id)
    .map(e => [e.kind, e.target, e.label])
    .sort();

describe("workloadName", () => {
  it.each([
    ["a ReplicaSet's pod loses the template hash", pod("reviews", "v1"), "reviews-v1"],
    [
      "a StatefulSet's pod is its StatefulSet",
      res({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "db-0",
          ownerReferences: [{ kind: "StatefulSet", name: "db", controller: true }],
        },
      }),
      "db",
    ],
    [
      "a bare pod is itself",
      res({ apiVersion: "v1", kind: "Pod", metadata: { name: "solo" } }),
      "solo",
    ],
  ])("%s", (_, p, name) => expect(workloadName(p)).toBe(name));
});

describe("buildGraph: nodes", () => {
  it("groups pods into versioned workloads inside namespace nodes, next to their service", () => {
    const g = graph({ resources: bookinfoReviews });
    expect(g.nodes.map(n => [n.id, n.kind, n.parent ?? "-"])).toEqual([
      ["ns:default", "namespace", "-"],
      ["svc:default/reviews", "service", "ns:default"],
      ["wl:default/reviews-v1", "workload", "ns:default"],
      ["wl:default/reviews-v2", "workload", "ns:default"],
      ["wl:default/reviews-v3", "workload", "ns:default"],
    ]);
    const v1 = node(g, "wl:default/reviews-v1");
    expect([v1.app, v1.version, v1.pods, v1.serviceAccount]).toEqual([
      "reviews",
      "v1",
      ["reviews-v1-5f7c9-a.default", "reviews-v1-5f7c9-ab.default"],
      "reviews",
    ]);
    expect(node(g, "svc:default/reviews").hosts).toEqual(["reviews.default.svc.cluster.local"]);
  });

  it("leaves out Services without a selector and finished pods", () => {
    const done = res({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "job-x", labels: { app: "job" } },
      status: { phase: "Succeeded" },
    });
    const kubernetes = res({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kubernetes" },
      spec: {},
    });
    expect(graph({ resources: [done, kubernetes] }).nodes).toEqual([]);
  });
});

describe("buildGraph: route edges", () => {
  it.each([
    [
      "an 80/20 split reaches v1 and v2 with their weights; v3 keeps its selects edge",
      { v1: 80, v2: 20 },
      [
        ["route", "wl:default/reviews-v1", "80%"],
        ["route", "wl:default/reviews-v2", "20%"],
        ["selects", "wl:default/reviews-v3", ""],
      ],
    ],
    [
      "one subset without a weight gets 100%",
      { v3: undefined as unknown as number },
      [
        ["route", "wl:default/reviews-v3", "100%"],
        ["selects", "wl:default/reviews-v1", ""],
        ["selects", "wl:default/reviews-v2", ""],
      ],
    ],
    [
      "a subset no DestinationRule defines loops back to the service, saying so",
      { v9: 100 },
      [
        ["route", "svc:default/reviews", "100% → v9: no workload"],
        ["selects", "wl:default/reviews-v1", ""],
        ["selects", "wl:default/reviews-v2", ""],
        ["selects", "wl:default/reviews-v3", ""],
      ],
    ],
  ])("%s", (_, weights, edges) => {
    const g = graph({ resources: [...bookinfoReviews, split("reviews", weights)] });
    expect(edgesFrom(g, "svc:default/reviews")).toEqual(edges);
    const routes = g.edges.filter(e => e.kind === "route");
    expect(new Set(routes.map(e => e.origin))).toEqual(new Set(["VirtualService default/reviews"]));
  });

  it("draws a route to another service, and ignores gateway-only VirtualServices", () => {
    const vs = (name: string, gateways?: string[]) =>
      res({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name, namespace: "default" },
        spec: {
          hosts: ["reviews"],
          ...(gateways ? { gateways } : {}),
          http: [
            { match: [{ uri: { prefix: "/x" } }], route: [{ destination: { host: "ratings" } }] },
          ],
        },
      });
    const base = [service("reviews"), service("ratings"), pod("ratings", "v1")];
    expect(
      graph({ resources: [...base, vs("to-ratings")] })
        .edges.filter(e => e.kind === "route")
        .map(e => [e.source, e.target, e.label]),
    ).toEqual([["svc:default/reviews", "svc:default/ratings", "100% (match)"]]);
    expect(
      graph({ resources: [...base, vs("edge", ["ingress"])] }).edges.filter(
        e => e.kind === "route",
      ),
    ).toEqual([]);
  });
});

describe("buildGraph: authorization edges", () => {
  const productpage = [service("productpage"), pod("productpage", "v1")];
  const policy = (action: string | undefined, rules: object[], selector = { app: "reviews" }) =>
    res({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "reviews-callers", namespace: "default" },
      spec: { ...(action ? { action } : {}), selector: { matchLabels: selector }, rules },
    });

  it.each([
    [
      "ALLOW from a principal, limited to GET, reaches every selected workload",
      policy(undefined, [
        {
          from: [{ source: { principals: ["cluster.local/ns/default/sa/productpage"] } }],
          to: [{ operation: { methods: ["GET"] } }],
        },
      ]),
      [
        ["allow", "wl:default/reviews-v1", "ALLOW GET"],
        ["allow", "wl:default/reviews-v2", "ALLOW GET"],
        ["allow", "wl:default/reviews-v3", "ALLOW GET"],
      ],
    ],
    [
      "DENY from a namespace, with a principal glob",
      policy(
        "DENY",
        [{ from: [{ source: { namespaces: ["default"], principals: ["*/sa/productpage"] } }] }],
        {
          app: "reviews",
          version: "v2",
        } as never,
      ),
      [["deny", "wl:default/reviews-v2", "DENY"]],
    ],
    [
      "a rule without from names no caller",
      policy("ALLOW", [{ to: [{ operation: { methods: ["GET"] } }] }]),
      [],
    ],
    [
      "CUSTOM policies draw nothing",
      policy("CUSTOM", [{ from: [{ source: { namespaces: ["default"] } }] }]),
      [],
    ],
  ])("%s", (_, p, edges) => {
    const g = graph({ resources: [...bookinfoReviews, ...productpage, p] });
    expect(edgesFrom(g, "wl:default/productpage-v1")).toEqual(edges);
  });
});

describe("buildGraph: mTLS", () => {
  const lockOf = (extra: Resource[], id = "wl:default/reviews-v1") => {
    const m = node(graph({ resources: [...bookinfoReviews, ...extra] }), id).mtls!;
    return [m.mode, m.ports, m.locked, m.source];
  };
  it.each([
    [
      "no policy: PERMISSIVE, no lock",
      [],
      ["PERMISSIVE", { 9080: "PERMISSIVE" }, false, "default"],
    ],
    [
      "a namespace STRICT policy locks every port",
      [peerAuth("default", "default", { mtls: { mode: "STRICT" } })],
      ["STRICT", { 9080: "STRICT" }, true, "namespace default/default"],
    ],
    [
      "a mesh-wide STRICT policy in the root namespace locks too",
      [peerAuth("istio-system", "default", { mtls: { mode: "STRICT" } })],
      ["STRICT", { 9080: "STRICT" }, true, "mesh istio-system/default"],
    ],
    [
      "a PERMISSIVE port under a STRICT workload policy opens the lock",
      [
        peerAuth("default", "reviews", {
          selector: { matchLabels: { app: "reviews" } },
          mtls: { mode: "STRICT" },
          portLevelMtls: { 9080: { mode: "PERMISSIVE" } },
        }),
      ],
      ["STRICT", { 9080: "PERMISSIVE" }, false, "workload default/reviews"],
    ],
  ])("%s", (_, extra, expected) => expect(lockOf(extra)).toEqual(expected));

  it("uses the Service's target port", () => {
    const g = graph({ resources: [service("ratings", "default", 8080), pod("ratings", "v1")] });
    expect(node(g, "wl:default/ratings-v1").mtls?.ports).toEqual({ 8080: "PERMISSIVE" });
  });
});

describe("buildGraph: proxy sync state", () => {
  const v1a = "reviews-v1-5f7c9-a.default";
  const v1b = "reviews-v1-5f7c9-ab.default";
  it.each([
    [
      "every proxy ACKed",
      [report(v1a, { CDS: "SYNCED", LDS: "SYNCED" }), report(v1b, { CDS: "SYNCED" })],
      "SYNCED",
    ],
    [
      "one unanswered response",
      [report(v1a, { CDS: "SYNCED" }), report(v1b, { RDS: "STALE" })],
      "STALE",
    ],
    [
      "a NACK wins over STALE",
      [report(v1a, { RDS: "ERROR" }), report(v1b, { RDS: "STALE" })],
      "NACK",
    ],
    ["no proxy of its pods is connected", [report("other.default", { CDS: "SYNCED" })], "NO PROXY"],
    ["the control plane could not be asked", undefined, "UNKNOWN"],
  ])("%s", (_, reports, sync) => {
    const g = graph({
      resources: bookinfoReviews,
      ...(reports ? { reports } : { reports: undefined }),
    });
    expect(node(g, "wl:default/reviews-v1").sync).toBe(sync);
  });

  it("keeps each proxy's columns and its NACK reason", () => {
    const g = graph({
      resources: bookinfoReviews,
      reports: [report(v1a, { CDS: "SYNCED", RDS: "ERROR" })],
    });
    expect(node(g, "wl:default/reviews-v1").proxies).toEqual([
      {
        name: v1a,
        state: "NACK",
        types: { CDS: "SYNCED", LDS: "NOT SENT", EDS: "NOT SENT", RDS: "ERROR", SDS: "NOT SENT" },
        nack: "RDS: bad route",
      },
    ]);
  });
});

describe("buildGraph: warnings", () => {
  const at = (kind: string, name: string, namespace = "default") =>
    makeMessage(
      "ReferencedResourceNotFound",
      { kind, namespace, name },
      `${kind} ${name} is wrong`,
    );
  const extra = [
    split("reviews", { v1: 100 }),
    peerAuth("default", "v2-only", {
      selector: { matchLabels: { version: "v2" } },
      mtls: { mode: "STRICT" },
    }),
    peerAuth("default", "all", { mtls: { mode: "STRICT" } }),
  ];
  it.each([
    [
      "a VirtualService's finding goes to the service of its host",
      at("VirtualService", "reviews"),
      ["svc:default/reviews"],
    ],
    [
      "a DestinationRule's to the service of its host",
      at("DestinationRule", "reviews"),
      ["svc:default/reviews"],
    ],
    ["a Service's to its node", at("Service", "reviews"), ["svc:default/reviews"]],
    [
      "a selector policy's to the workloads it selects",
      at("PeerAuthentication", "v2-only"),
      ["wl:default/reviews-v2"],
    ],
    ["a namespace-wide policy's to the namespace", at("PeerAuthentication", "all"), ["ns:default"]],
    ["an object not in the cluster's to its namespace", at("Gateway", "gone", "edge"), ["ns:edge"]],
  ])("%s", (_, message, ids) => {
    const g = graph({ resources: [...bookinfoReviews, ...extra], messages: [message] });
    expect(g.nodes.filter(n => n.warnings.length > 0).map(n => n.id)).toEqual(ids);
    expect(g.warnings).toEqual([
      {
        level: "Error",
        code: "IST0101",
        origin: `${message.origin.kind} ${message.origin.namespace}/${message.origin.name}`,
        message: message.message,
      },
    ]);
  });
});

describe("buildGraph: a source that cannot be read", () => {
  it("without the cluster, draws the connected proxies as workloads, with no mTLS guess", () => {
    const proxyless = report(
      "client-7d.shop",
      { LDS: "SYNCED" },
      {
        metadata: {
          NAMESPACE: "shop",
          LABELS: { app: "client", version: "v2" },
          SERVICE_ACCOUNT: "client",
        },
      },
    );
    const g = graph({
      resources: undefined,
      cluster: { ok: false, address: "https://127.0.0.1:6443", error: "connect ECONNREFUSED" },
      reports: [proxyless, report("bare.default", { CDS: "STALE" })],
    });
    expect(g.sources.cluster).toEqual({
      ok: false,
      address: "https://127.0.0.1:6443",
      error: "connect ECONNREFUSED",
    });
    expect(g.nodes.map(n => [n.id, n.sync ?? "-", n.mtls ?? "-"])).toEqual([
      ["ns:default", "-", "-"],
      ["ns:shop", "-", "-"],
      ["wl:default/bare", "STALE", "-"],
      ["wl:shop/client-v2", "SYNCED", "-"],
    ]);
    expect(node(g, "wl:shop/client-v2").serviceAccount).toBe("client");
  });

  it("without the control plane, keeps the cluster's graph and marks sync UNKNOWN", () => {
    const g = graph({
      resources: [...bookinfoReviews, split("reviews", { v1: 80, v2: 20 })],
      reports: undefined,
      controlPlane: { ok: false, address: "127.0.0.1:15010", error: "cannot reach" },
    });
    expect(g.sources.controlPlane.ok).toBe(false);
    expect(g.nodes.filter(n => n.kind === "workload").map(n => n.sync)).toEqual([
      "UNKNOWN",
      "UNKNOWN",
      "UNKNOWN",
    ]);
    expect(g.edges.filter(e => e.kind === "route").map(e => e.weight)).toEqual([80, 20]);
  });
});
