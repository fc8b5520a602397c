import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  analyze,
  formatMessage,
  parseManifests,
  type AnalysisMessage,
  type Resource,
} from "../../../mesh/analysis";
import { sharedPath } from "../../harness/shared";

const fixture = (name: string): Resource[] =>
  parseManifests(readFileSync(join(__dirname, "fixtures", name), "utf8"), name, "default")
    .resources;

/** A message as the user reads it, without the source line (which the fixtures' layout decides). */
const view = (m: AnalysisMessage) =>
  `${m.level} [${m.code}] (${m.origin.kind} ${m.origin.namespace}/${m.origin.name}) ${m.message}`;

describe("rig analyze: each cross-resource problem in a fixture built for it", () => {
  it.each([
    [
      "subset-not-defined.yaml",
      [
        'Error [IST0101] (VirtualService shop/reviews) Referenced host+subset in destinationrule not found: "reviews.shop.svc.cluster.local+v3" (spec.http[0].route[1].destination.subset)',
      ],
    ],
    [
      "gateway-not-found.yaml",
      [
        'Error [IST0101] (VirtualService shop/web) Referenced gateway not found: "edge/public" (spec.http[0].match[0].gateways[0])',
        'Error [IST0101] (VirtualService shop/web) Referenced gateway not found: "shop-gateway" (spec.gateways[0])',
      ],
    ],
    [
      "host-not-found.yaml",
      [
        'Error [IST0101] (VirtualService shop/ratings) Referenced host not found: "ratngs" (spec.http[0].route[0].destination.host)',
      ],
    ],
    [
      "conflicting-routes.yaml",
      ["shop/reviews-a", "shop/reviews-b"].map(
        vs =>
          `Error [IST0109] (VirtualService ${vs}) The VirtualServices shop/reviews-a,shop/reviews-b associated with mesh gateway define the same host reviews.shop.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
      ),
    ],
    [
      "shadowed-routes.yaml",
      [
        'Warning [IST0130] (VirtualService shop/catalog) VirtualService rule "too-late" not used (route without matches defined before).',
        'Info [IST0131] (VirtualService shop/catalog) VirtualService rule "search-again" match #0 is not used (duplicate/overlapping match in rule "search").',
      ],
    ],
    [
      "selector-matches-nothing.yaml",
      [
        "Warning [IST0127] (AuthorizationPolicy shop/reviews-viewers) No matching workloads for this resource with the following labels: app=reveiws (spec.selector.matchLabels)",
      ],
    ],
    [
      "mtls-conflict.yaml",
      [
        'Error [IST0113] (DestinationRule shop/reviews) A DestinationRule and Policy are in conflict with regards to mTLS for host reviews.shop.svc.cluster.local. The DestinationRule "shop/reviews" specifies that mTLS must be false but the Policy object "shop/default" specifies STRICT. (spec.trafficPolicy.tls.mode)',
      ],
    ],
    [
      "custom-provider-not-found.yaml",
      [
        'Error [IST0101] (AuthorizationPolicy shop/billing-check) Referenced extension provider not found: "ext-authz-grcp" (spec.provider.name; the mesh config declares "ext-authz-grpc"): its rules deny',
      ],
    ],
    [
      "telemetry-provider-not-found.yaml",
      [
        'Warning [IST0101] (Telemetry shop/traces) Referenced extension provider not found: "zipkn" (spec.tracing[0].providers[0].name; the mesh config declares "zipkin"): it is ignored',
      ],
    ],
    [
      "mesh-config-invalid.yaml",
      [
        "Error [IST0106] (ConfigMap istio-system/istio) Schema validation error: data.mesh: extensionProviders[0].envoyExtAuthzHttp.port: must be a port number 1-65535, got 99999",
        'Error [IST0106] (ConfigMap istio-system/istio) Schema validation error: data.mesh: outboundTrafficPolicy.mode: must be ALLOW_ANY or REGISTRY_ONLY, got "DENY_ALL"',
      ],
    ],
  ])("%s", (name, expected) => {
    expect(analyze(fixture(name)).map(view)).toEqual(expected);
  });

  it("names the file and line of the object", () => {
    const [m] = analyze(fixture("host-not-found.yaml"));
    expect(m && formatMessage(m)).toMatch(
      /^Error \[IST0101\] \(VirtualService shop\/ratings host-not-found\.yaml:19\) /,
    );
  });
});

describe("rig analyze: what it must not report", () => {
  it("finds nothing in the bookinfo samples applied together", () => {
    const files = [
      "platform/kube/bookinfo.yaml",
      "networking/destination-rule-all.yaml",
      "networking/virtual-service-all-v1.yaml",
      "networking/bookinfo-gateway.yaml",
    ];
    const resources = files.flatMap(
      f =>
        parseManifests(
          readFileSync(sharedPath(`istio/samples/bookinfo/${f}`), "utf8"),
          f,
          "default",
        ).resources,
    );
    expect(resources.filter(r => r.apiVersion.includes("istio.io")).length).toBe(10);
    expect(analyze(resources).map(formatMessage)).toEqual([]);
  });

  it("reports a selector that selects nothing only when the workloads are known", () => {
    const policies = fixture("selector-matches-nothing.yaml").filter(r => r.kind !== "Deployment");
    expect(analyze(policies)).toEqual([]);
    expect(analyze(policies, { workloadsKnown: true }).map(m => m.origin.name)).toEqual([
      "reviews-viewers",
      "reviews",
    ]);
  });

  it("lets a root-namespace policy select workloads in any namespace", () => {
    const [deployment] = fixture("selector-matches-nothing.yaml");
    const policy = parseManifests(
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: mesh-reviews, namespace: istio-system }
spec:
  selector: { matchLabels: { app: reviews } }
`,
      "inline",
      "default",
    ).resources;
    expect(analyze([deployment as Resource, ...policy])).toEqual([]);
  });

  it("takes a workload's PERMISSIVE over a namespace's STRICT, and a mesh-wide STRICT into account", () => {
    const base = fixture("mtls-conflict.yaml").filter(r => r.kind !== "PeerAuthentication");
    const pa = (ns: string, mode: string, selector?: string) =>
      parseManifests(
        `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: ${selector ? "reviews" : "default"}, namespace: ${ns} }
spec:
  ${selector ? `selector: { matchLabels: { app: ${selector} } }` : ""}
  mtls: { mode: ${mode} }
`,
        "inline",
        "default",
      ).resources;
    const meshWide = analyze([...base, ...pa("istio-system", "STRICT")]);
    expect(meshWide.map(m => m.code)).toEqual(["IST0113"]);
    expect(meshWide[0]?.message).toContain('Policy object "istio-system/default" specifies STRICT');
    expect(
      analyze([...base, ...pa("shop", "STRICT"), ...pa("shop", "PERMISSIVE", "reviews")]),
    ).toEqual([]);
    expect(analyze([...base, ...pa("shop", "PERMISSIVE")])).toEqual([]);
  });

  it("does not call VirtualServices exported to disjoint namespaces conflicting", () => {
    const vs = (name: string, exportTo: string) =>
      parseManifests(
        `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: shop }
spec:
  hosts: [api.example.com]
  exportTo: [${exportTo}]
  http: [{ route: [{ destination: { host: api.example.com } }] }]
`,
        "inline",
        "default",
      ).resources;
    const se = parseManifests(
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: shop }
spec:
  hosts: [api.example.com]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
`,
      "inline",
      "default",
    ).resources;
    expect(analyze([...se, ...vs("a", "team-a"), ...vs("b", "team-b")])).toEqual([]);
    expect(analyze([...se, ...vs("a", "team-a"), ...vs("b", "'*'")]).map(m => m.code)).toEqual([
      "IST0109",
      "IST0109",
    ]);
  });

  it("reports validation errors and warnings, and only in the namespaces asked for", () => {
    const bad = parseManifests(
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: bad, namespace: shop }
spec:
  host: ""
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: bad, namespace: other }
spec:
  host: ""
`,
      "inline",
      "default",
    ).resources;
    const messages = analyze(bad, { namespaces: ["shop"] });
    expect(messages.length).toBeGreaterThan(0);
    expect(new Set(messages.map(m => `${m.code} ${m.origin.namespace}`))).toEqual(
      new Set(["IST0106 shop"]),
    );
    expect(messages[0]?.message).toMatch(/^Schema validation error: spec\.host: /);
  });
});

describe("parseManifests", () => {
  it("unpacks Lists, skips empty documents and reports YAML errors with their line", () => {
    const parsed = parseManifests(
      `# nothing here
---
apiVersion: v1
kind: List
items:
  - { apiVersion: v1, kind: Service, metadata: { name: a } }
---
key: [unclosed
`,
      "x.yaml",
      "ns",
    );
    expect(parsed.resources.map(r => `${r.kind} ${r.namespace}/${r.name} ${r.source}`)).toEqual([
      "Service ns/a x.yaml:3",
    ]);
    expect(parsed.errors.map(e => e.source)).toEqual(["x.yaml:8"]);
  });
});
