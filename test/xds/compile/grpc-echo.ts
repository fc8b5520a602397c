/**
 * A proxyless gRPC service `echo` (port 9080 → 8080) with one pod per entry, compiled for a
 * proxyless gRPC proxy, with its server listener's chain and its clients' cluster decoded from
 * protobuf: shared by the tests of the gRPC server listener and of its clients' cluster.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile } from "../../../xds/compile";
import { checkedSnapshot, decoded, grpcNode, named, istioObject } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const MESHED = { "security.istio.io/tlsMode": "istio" };
const LISTENER = "xds.istio.io/grpc/lds/inbound/10.0.0.5:8080";
const CLUSTER = "outbound|9080||echo.default.svc.cluster.local";

export const cfg = istioObject;

/** Service echo:9080 → 8080, one pod per entry of `pods` (labels, template, service account). */
export function echo(pods: { labels: Json; proxyless?: boolean; sa?: string }[]): StoreObject[] {
  return [
    {
      kind: "Service",
      metadata: { name: "echo", namespace: "default" },
      spec: { selector: { app: "echo" }, ports: [{ name: "grpc", port: 9080, targetPort: 8080 }] },
    } as StoreObject,
    ...pods.map(
      (p, i) =>
        ({
          kind: "Pod",
          metadata: {
            name: `echo-${i}`,
            namespace: "default",
            labels: { app: "echo", ...p.labels },
            annotations: p.proxyless ? { "inject.istio.io/templates": "grpc-agent" } : {},
          },
          spec: { serviceAccountName: p.sa ?? "echo" },
          status: { podIP: `10.0.0.${5 + i}` },
        }) as StoreObject,
    ),
    {
      kind: "EndpointSlice",
      metadata: {
        name: "echo-1",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "echo" },
      },
      endpoints: pods.map((_, i) => ({
        addresses: [`10.0.0.${5 + i}`],
        targetRef: { kind: "Pod", name: `echo-${i}`, namespace: "default" },
      })),
      ports: [{ name: "grpc", port: 8080 }],
    } as StoreObject,
  ];
}

function compiled(objects: StoreObject[], ip: string, labels: Json) {
  const r = compile(storeOf(objects), grpcNode(ip, "w", "default", labels));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value); // every resource passes the encoder and consistency check
  return r.value;
}

export const serverChain = (objects: StoreObject[], labels: Json = { app: "echo", ...MESHED }) =>
  (decoded(named(compiled(objects, "10.0.0.5", labels).listeners, LISTENER)) as Json)
    .filter_chains[0] as Json;

export const clusterOf = (objects: StoreObject[]) =>
  decoded(named(compiled(objects, "10.0.0.99", { app: "client" }).clusters, CLUSTER)) as Json;

export const mesh = (mode: string) =>
  cfg("PeerAuthentication", "default", "istio-system", { mtls: { mode } });
