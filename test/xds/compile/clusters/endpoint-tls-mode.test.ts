/**
 * Which endpoints of an outbound cluster Envoy's auto-mTLS dials with mTLS: those marked
 * `tlsMode: istio` under `envoy.transport_socket_match`, as istiod's mtls_checker marks them. A
 * DestinationRule TLS mode decides for every endpoint (ISTIO_MUTUAL: all; any other: none);
 * else the workload must carry mesh certificates and not DISABLE mTLS on its port.
 */
import type { StoreObject } from "../../../../mesh/store";
import type { NodeDescription } from "../../../../xds/compile";
import { clusterEndpoints } from "../../../../xds/compile/clusters/cluster-endpoints";
import { withUpstreamTlsMetadata } from "../../../../xds/compile/clusters/endpoint-tls-mode";
import { localityEndpoints } from "../../../../xds/compile/clusters/endpoints";
import type { LocalityLbEndpoints } from "../../../../xds/compile/shared/envoy";
import { outboundCluster, scopeOf } from "../fixtures";
import { cfg, CLUSTER, echo, MESHED, type Json } from "../grpc-echo";
import { CLIENT_GRPC, CLIENT_SIDECAR } from "../mesh-authz";
import { SE } from "../reviews-entry";

const HOST = "echo.default.svc.cluster.local";
/** echo:9080 → 8080: 10.0.0.5 meshed (v1), 10.0.0.6 without a proxy (v2). */
const PODS = echo([{ labels: { version: "v1", ...MESHED } }, { labels: { version: "v2" } }]);
const ISTIO_METADATA = {
  filter_metadata: {
    "envoy.transport_socket_match": { fields: { tlsMode: { string_value: "istio" } } },
  },
};
const dr = (spec: Json) => cfg("DestinationRule", "echo", "default", { host: "echo", ...spec });
const echoPeer = (spec: Json) =>
  cfg("PeerAuthentication", "echo", "default", {
    selector: { matchLabels: { app: "echo" } },
    ...spec,
  });

/** The cluster's localities before and after the metadata is added. */
function decorate(objects: StoreObject[], name = CLUSTER, node: NodeDescription = CLIENT_SIDECAR) {
  const scope = scopeOf(objects, node);
  const c = outboundCluster(scope, name);
  const before = localityEndpoints(clusterEndpoints(scope, c));
  return { before, after: withUpstreamTlsMetadata(scope, c, before) };
}

/** Each endpoint address → its `tlsMode` metadata, "-" without. */
function modes(localities: readonly LocalityLbEndpoints[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of localities)
    for (const e of l.lb_endpoints ?? []) {
      const key = String(e.endpoint?.address?.socket_address?.address);
      if (e.metadata === undefined) out[key] = "-";
      else {
        expect(e.metadata).toEqual(ISTIO_METADATA);
        out[key] = "istio";
      }
    }
  return out;
}

describe("withUpstreamTlsMetadata on an Envoy proxy", () => {
  it.each<[string, StoreObject[], string, Record<string, string>]>([
    [
      "no rule: only the endpoint with mesh certificates (tlsMode=istio)",
      [],
      CLUSTER,
      { "10.0.0.5": "istio", "10.0.0.6": "-" },
    ],
    [
      "a PeerAuthentication DISABLE for the workload: not that one either",
      [echoPeer({ mtls: { mode: "DISABLE" } })],
      CLUSTER,
      { "10.0.0.5": "-", "10.0.0.6": "-" },
    ],
    [
      "DISABLE on its port (8080, the endpoint's) by port-level mTLS",
      [echoPeer({ portLevelMtls: { 8080: { mode: "DISABLE" } } })],
      CLUSTER,
      { "10.0.0.5": "-", "10.0.0.6": "-" },
    ],
    [
      "DISABLE on another port leaves it",
      [echoPeer({ portLevelMtls: { 9999: { mode: "DISABLE" } } })],
      CLUSTER,
      { "10.0.0.5": "istio", "10.0.0.6": "-" },
    ],
    [
      "DestinationRule ISTIO_MUTUAL: every endpoint, meshed or not",
      [dr({ trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } })],
      CLUSTER,
      { "10.0.0.5": "istio", "10.0.0.6": "istio" },
    ],
    [
      "DestinationRule DISABLE: none, even the meshed one",
      [dr({ trafficPolicy: { tls: { mode: "DISABLE" } } })],
      CLUSTER,
      { "10.0.0.5": "-", "10.0.0.6": "-" },
    ],
    [
      "DestinationRule SIMPLE: none (the rule's TLS is not auto-mTLS)",
      [dr({ trafficPolicy: { tls: { mode: "SIMPLE" } } })],
      CLUSTER,
      { "10.0.0.5": "-", "10.0.0.6": "-" },
    ],
    [
      "a subset's ISTIO_MUTUAL marks its endpoints",
      [
        dr({
          subsets: [
            {
              name: "v2",
              labels: { version: "v2" },
              trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
            },
          ],
        }),
      ],
      `outbound|9080|v2|${HOST}`,
      { "10.0.0.6": "istio" },
    ],
    [
      "the subset's rule does not apply to the service's cluster",
      [
        dr({
          subsets: [
            {
              name: "v2",
              labels: { version: "v2" },
              trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
            },
          ],
        }),
      ],
      CLUSTER,
      { "10.0.0.5": "istio", "10.0.0.6": "-" },
    ],
  ])("%s", (_, objects, name, want) => {
    const { before, after } = decorate([...PODS, ...objects], name);
    expect(modes(after)).toEqual(want);
    // Only metadata is added: groups, weights and health stay as built.
    const stripped = after.map(l => ({
      ...l,
      lb_endpoints: (l.lb_endpoints ?? []).map(({ metadata: _m, ...e }) => e),
    }));
    expect(stripped).toEqual(before);
  });

  it("ServiceEntry endpoints: a service account means mesh certificates unless the label says otherwise", () => {
    const entry = SE("reviews", "default", {
      endpoints: [
        { address: "10.0.0.1", serviceAccount: "reviews" },
        { address: "10.0.0.2" },
        {
          address: "10.0.0.3",
          serviceAccount: "reviews",
          labels: { "security.istio.io/tlsMode": "disabled" },
        },
        { address: "10.0.0.4", labels: MESHED },
      ],
    });
    const { after } = decorate([entry], "outbound|9080||reviews.default.svc.cluster.local");
    expect(modes(after)).toEqual({
      "10.0.0.1": "istio",
      "10.0.0.2": "-",
      "10.0.0.3": "-",
      "10.0.0.4": "istio",
    });
  });

  it("a cluster that fails closed keeps no endpoints", () => {
    const scope = scopeOf(PODS, CLIENT_SIDECAR);
    const c = outboundCluster(scope, CLUSTER);
    const localities = localityEndpoints(clusterEndpoints(scope, c));
    expect(localities).not.toEqual([]);
    expect(withUpstreamTlsMetadata(scope, { ...c, failClosed: "closed" }, localities)).toEqual([]);
  });
});

describe("withUpstreamTlsMetadata on proxyless gRPC", () => {
  it("leaves endpoints unmarked: gRPC has no transport socket matches", () => {
    const rule = dr({ trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
    const { before, after } = decorate([...PODS, rule], CLUSTER, CLIENT_GRPC);
    expect(modes(after)).toEqual({ "10.0.0.5": "-", "10.0.0.6": "-" });
    expect(after).toEqual(before);
  });
});
