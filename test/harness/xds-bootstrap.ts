/**
 * grpc-js-xds bootstraps for tests: the shapes the data-plane tests use (namespace `default`,
 * 127.0.0.1), over the one implementation the demo's host workloads use too.
 */
import {
  BOOTSTRAP_OPTION,
  grpcBootstrap,
  pinXdsServerToLoopback,
} from "../../cli/dev/workloads/grpc-bootstrap";

export { BOOTSTRAP_OPTION, pinXdsServerToLoopback };

/**
 * Bootstrap JSON for a proxyless proxy `nodeId` in namespace `default` talking to the ADS server
 * on 127.0.0.1:`adsPort`; `labels` become its `LABELS` metadata (what workload selectors see).
 */
export function bootstrapJson(
  adsPort: number,
  nodeId: string,
  labels?: Record<string, string>,
): string {
  return grpcBootstrap({ xdsAddress: `127.0.0.1:${adsPort}`, nodeId, labels });
}

/** Channel or server options selecting that bootstrap. */
export function bootstrapOptions(
  adsPort: number,
  nodeId: string,
  labels?: Record<string, string>,
): Record<string, string> {
  return { [BOOTSTRAP_OPTION]: bootstrapJson(adsPort, nodeId, labels) };
}
