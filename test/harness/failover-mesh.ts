/**
 * The small mesh the failover tests run: echo backends `v1` and `v2` of
 * `reviews.default.svc.cluster.local` on 127.0.0.41–42 (WorkloadEntries under a MESH_INTERNAL
 * ServiceEntry), a DestinationRule with one subset per version and a VirtualService that sends
 * every call to one subset; and grpc-js-xds clients, each its own proxy (node id), whose
 * bootstrap names one xDS address (the Service stand-in in front of the replicas).
 */
import * as grpc from "@grpc/grpc-js";
import { grpcBootstrapOptions } from "../../cli/dev/workloads/grpc-bootstrap";
import { echoHandlers, startEchoServer } from "./xds-echo";

/** The host the clients call. */
export const REVIEWS = "reviews.default.svc.cluster.local";

/** Echo backends and the config documents that make them `reviews` v1 and v2. */
export async function startReviewsBackends(): Promise<{
  docs: unknown[];
  stop: () => void;
}> {
  const servers: grpc.Server[] = [];
  const docs: unknown[] = [];
  for (const v of [1, 2]) {
    const host = `127.0.0.4${v}`;
    const { port, server } = await startEchoServer(host, echoHandlers(`v${v}`));
    servers.push(server);
    docs.push({
      apiVersion: "networking.istio.io/v1",
      kind: "WorkloadEntry",
      metadata: { name: `reviews-v${v}`, namespace: "default" },
      spec: { address: host, ports: { grpc: port }, labels: { app: "reviews", version: `v${v}` } },
    });
  }
  docs.push(
    {
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: "reviews", namespace: "default" },
      spec: {
        hosts: [REVIEWS],
        ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        workloadSelector: { labels: { app: "reviews" } },
      },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "reviews", namespace: "default" },
      spec: {
        host: REVIEWS,
        subsets: [1, 2].map(v => ({ name: `v${v}`, labels: { version: `v${v}` } })),
      },
    },
    routeAllTo("v1"),
  );
  return { docs, stop: () => servers.forEach(s => s.forceShutdown()) };
}

/** A VirtualService sending every call to `reviews` to `subset`. */
export function routeAllTo(subset: string): unknown {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "reviews", namespace: "default" },
    spec: {
      hosts: [REVIEWS],
      http: [{ route: [{ destination: { host: REVIEWS, subset, port: { number: 9080 } } }] }],
    },
  };
}

/** Istio's node id of test client `i`. */
export function clientNodeId(i: number): string {
  return `sidecar~127.0.0.5~client-${i}.default~default.svc.cluster.local`;
}

/**
 * `count` grpc-js-xds clients of `reviews`, client `i` as proxy {@link clientNodeId}(i) dialing
 * `xdsAddresses[i % length]`.
 */
export function reviewsClients(
  count: number,
  xdsAddresses: readonly string[],
): Record<string, grpc.Client> {
  const clients: Record<string, grpc.Client> = {};
  for (let i = 0; i < count; i++) {
    const xdsAddress = xdsAddresses[i % xdsAddresses.length]!;
    clients[clientNodeId(i)] = new grpc.Client(
      `xds:///${REVIEWS}:9080`,
      grpc.credentials.createInsecure(),
      grpcBootstrapOptions({ xdsAddress, nodeId: clientNodeId(i), labels: { app: "client" } }),
    );
  }
  return clients;
}
