/**
 * grpc-js-xds bootstraps for tests. Each channel or `XdsServer` gets its own bootstrap through
 * the `grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config` option, so one process can host
 * several proxies with different node ids (the process-wide `GRPC_XDS_BOOTSTRAP_CONFIG` is read
 * once per process).
 */
import { SERVER_LISTENER_TEMPLATE } from "./xds-resources";

/** Channel/server option key grpc-js-xds 1.14 reads a per-instance bootstrap from. */
export const BOOTSTRAP_OPTION = "grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config";

/**
 * Bootstrap JSON for a proxyless proxy `nodeId` in namespace `default` talking to the ADS server
 * on 127.0.0.1:`adsPort`; `labels` become its `LABELS` metadata (what workload selectors see).
 */
export function bootstrapJson(
  adsPort: number,
  nodeId: string,
  labels?: Record<string, string>,
): string {
  return JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${adsPort}`,
        channel_creds: [{ type: "insecure" }],
        server_features: ["xds_v3"],
      },
    ],
    // grpc-js-xds requires a locality, even an empty one.
    node: {
      id: nodeId,
      cluster: "test",
      locality: {},
      metadata: { GENERATOR: "grpc", NAMESPACE: "default", ...(labels ? { LABELS: labels } : {}) },
    },
    server_listener_resource_name_template: SERVER_LISTENER_TEMPLATE,
  });
}

/** Channel or server options selecting that bootstrap. */
export function bootstrapOptions(
  adsPort: number,
  nodeId: string,
  labels?: Record<string, string>,
): Record<string, string> {
  return { [BOOTSTRAP_OPTION]: bootstrapJson(adsPort, nodeId, labels) };
}

interface ListenableEntry {
  tcpServer?: { listen: (...args: unknown[]) => unknown };
}

/**
 * `XdsServer.bindAsync("127.0.0.x:P")` binds its TCP server to every interface (it calls
 * `listen(port)`). Tests must stay on loopback, so right after `bindAsync` — before the xDS
 * listener arrives and `listen` runs — the bound entry's `listen` is pinned to the address's own
 * loopback host (127.0.0.1 unless the test gave another 127.x address).
 */
export function pinXdsServerToLoopback(server: object, address: string): void {
  const entry = (server as { boundPortMap?: Map<string, ListenableEntry> }).boundPortMap?.get(
    address,
  );
  const tcp = entry?.tcpServer;
  if (!tcp)
    throw new Error(`XdsServer has no bound entry for ${address}; grpc-js-xds internals changed`);
  const host = address.slice(0, address.lastIndexOf(":"));
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`${address} is not a loopback address`);
  const listen = tcp.listen.bind(tcp);
  tcp.listen = (port: unknown, ...rest: unknown[]) => listen(port, host, ...rest);
}
