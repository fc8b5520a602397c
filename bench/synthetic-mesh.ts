/**
 * The synthetic mesh the benchmarks share: 1,000 services × 10 endpoints in namespaces
 * `ns0`…`ns9`, with 300 DestinationRules (subsets v0, v1) and 300 VirtualServices (a header
 * match and a 90/10 split). Endpoints are ServiceEntry endpoints by default; with
 * `endpoints: "EndpointSlice"` each service is a Kubernetes Service with an EndpointSlice and
 * its Pods, so endpoint changes are endpoint-only changes, as in a cluster.
 */
import type { StoreObject } from "../mesh/store";

/** Generator settings. */
export interface SyntheticOptions {
  /** @default 1000 */
  readonly services?: number;
  /** @default 10 */
  readonly endpointsPerService?: number;
  /** Where endpoints come from. @default "ServiceEntry" */
  readonly endpoints?: "ServiceEntry" | "EndpointSlice";
}

/** The namespace of service `i`. */
export const namespaceOf = (i: number): string => `ns${i % 10}`;

/** The host of service `i`. */
export const hostOf = (i: number): string => `svc-${i}.${namespaceOf(i)}.svc.cluster.local`;

/** The address of endpoint `e` of service `i`. */
export const endpointAddress = (i: number, e: number): string => `10.${i >> 8}.${i & 255}.${e + 1}`;

/** Service `i`'s EndpointSlice with `count` endpoints (its Pods are `svc-i-e`). */
export function endpointSlice(i: number, count: number): StoreObject {
  return {
    kind: "EndpointSlice",
    metadata: {
      name: `svc-${i}-abcde`,
      namespace: namespaceOf(i),
      labels: { "kubernetes.io/service-name": `svc-${i}` },
    },
    ports: [{ name: "http", port: 8080 }],
    endpoints: Array.from({ length: count }, (_, e) => ({
      addresses: [endpointAddress(i, e)],
      targetRef: { kind: "Pod", name: `svc-${i}-${e}`, namespace: namespaceOf(i) },
    })),
  } as StoreObject;
}

function kubeService(i: number, endpoints: number): StoreObject[] {
  const ns = namespaceOf(i);
  const out: StoreObject[] = [
    {
      kind: "Service",
      metadata: { name: `svc-${i}`, namespace: ns },
      spec: {
        clusterIP: `10.96.${i >> 8}.${i & 255}`,
        selector: { app: `svc-${i}` },
        ports: [{ name: "http", port: 8080 }],
      },
    } as StoreObject,
    endpointSlice(i, endpoints),
  ];
  for (let e = 0; e < endpoints; e++) {
    out.push({
      kind: "Pod",
      metadata: {
        name: `svc-${i}-${e}`,
        namespace: ns,
        labels: { app: `svc-${i}`, version: `v${e % 2}` },
      },
      spec: { serviceAccountName: `svc-${i}` },
      status: { podIP: endpointAddress(i, e), phase: "Running" },
    } as StoreObject);
  }
  return out;
}

/** The synthetic mesh's objects. */
export function synthetic(options: SyntheticOptions = {}): StoreObject[] {
  const services = options.services ?? 1000;
  const endpoints = options.endpointsPerService ?? 10;
  const out: StoreObject[] = [];
  const cfg = (kind: string, name: string, spec: object) =>
    ({
      apiVersion: "networking.istio.io/v1",
      kind,
      metadata: { name, namespace: namespaceOf(Number(name.split("-")[1])) },
      spec,
    }) as unknown as StoreObject;
  for (let i = 0; i < services; i++) {
    if (options.endpoints === "EndpointSlice") {
      out.push(...kubeService(i, endpoints));
      continue;
    }
    out.push(
      cfg("ServiceEntry", `svc-${i}`, {
        hosts: [hostOf(i)],
        ports: [{ number: 8080, name: "http", protocol: "HTTP" }],
        resolution: "STATIC",
        location: "MESH_INTERNAL",
        endpoints: Array.from({ length: endpoints }, (_, e) => ({
          address: endpointAddress(i, e),
          labels: { version: `v${e % 2}` },
        })),
      }),
    );
  }
  for (let i = 0; i < Math.min(300, services); i++) {
    out.push(cfg("DestinationRule", `dr-${i}`, destinationRule(i)));
    out.push(cfg("VirtualService", `vs-${i}`, virtualService(i, 90)));
  }
  return out;
}

/** Service `i`'s DestinationRule spec (subsets v0 and v1). */
export function destinationRule(i: number): object {
  return {
    host: hostOf(i),
    subsets: [
      { name: "v0", labels: { version: "v0" } },
      { name: "v1", labels: { version: "v1" } },
    ],
  };
}

/** Service `i`'s VirtualService spec, sending `weight`% to v0. */
export function virtualService(i: number, weight: number): object {
  const host = hostOf(i);
  return {
    hosts: [host],
    http: [
      {
        match: [{ headers: { "end-user": { exact: "jason" } } }],
        route: [{ destination: { host, subset: "v1" } }],
      },
      {
        route: [
          { destination: { host, subset: "v0" }, weight },
          { destination: { host, subset: "v1" }, weight: 100 - weight },
        ],
        retries: { attempts: 2 },
      },
    ],
  };
}
