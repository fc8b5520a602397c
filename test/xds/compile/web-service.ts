/**
 * A fixture for the tests of istiod's defaults: Service web (HTTP 80 → 8080), a DNS
 * ServiceEntry, routes on web with case-sensitive and case-insensitive matches, an Envoy
 * sidecar, a proxyless gRPC client and a gateway, the decoded values istiod writes (unlimited
 * thresholds, durations) and readers of the decoded HTTP connection managers.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import {
  checkedSnapshot,
  decoded,
  grpcNode,
  istioObject,
  sidecarNode,
  WITHOUT_STATS,
} from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const UNLIMITED = { value: 4294967295 };
/** A decoded Duration of `n` seconds. */
export const secs = (n: number | string) => ({ seconds: String(n), nanos: 0 });
export const ZERO = secs(0);

/** Service web: HTTP 80 → 8080, selecting `app: web`. */
export const WEB = {
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { clusterIP: "10.96.0.10", selector: { app: "web" }, ports: [{ name: "http", port: 80 }] },
} as unknown as StoreObject;

/** A DNS ServiceEntry (STRICT_DNS cluster). */
export const EXTERNAL = istioObject("ServiceEntry", "ext", "default", {
  hosts: ["api.example.com"],
  ports: [{ number: 443, name: "tls", protocol: "TLS" }],
  resolution: "DNS",
  location: "MESH_EXTERNAL",
});

/** Routes on `web` with a case-sensitive and a case-insensitive match, then a catch-all. */
export const ROUTES = istioObject("VirtualService", "web", "default", {
  hosts: ["web"],
  http: [
    { match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "web" } }] },
    {
      match: [{ uri: { exact: "/Login" }, ignoreUriCase: true }],
      route: [{ destination: { host: "web" } }],
    },
    { route: [{ destination: { host: "web" } }] },
  ],
});

export type Node = { id: string; metadata: Json };

/** The objects {@link build} compiles by default. */
export const DEFAULT_OBJECTS: readonly StoreObject[] = [WEB, EXTERNAL, ROUTES];

export function build(node: Node, objects: StoreObject[] = [...DEFAULT_OBJECTS]) {
  const r = compile(storeOf(objects), node, WITHOUT_STATS);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value); // every resource encodes, every reference resolves
  return r.value;
}

export const SIDECAR = sidecarNode("10.0.0.5", "web-0", "default", { app: "web" });
export const GRPC = grpcNode("10.0.0.6", "client-0", "default", { app: "client" });
export const ROUTER = {
  id: "router~10.1.2.3~ingressgateway-xyz.istio-system~istio-system.svc.cluster.local",
  metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
};

export const dec = (r: ResourceObject): Json => decoded(r);

export const HCM = "envoy.filters.network.http_connection_manager";

/** The HTTP connection managers of a decoded listener, in chain order. */
export const hcmsOf = (listener: Json): Json[] =>
  (listener.filter_chains as Json[]).flatMap(c =>
    (c.filters as Json[]).filter(f => f.name === HCM).map(f => f.typed_config),
  );

/** The HCM fields that do not depend on the listener class. */
export const COMMON_HCM = {
  normalize_path: { value: true },
  path_with_escaped_slashes_action: "KEEP_UNCHANGED",
  upgrade_configs: [{ upgrade_type: "websocket" }],
  stream_idle_timeout: ZERO,
  proxy_100_continue: true,
};
