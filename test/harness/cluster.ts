import {
  startCluster,
  type LocalCluster,
  type StartClusterOptions,
} from "../../cli/local-cluster/cluster";

export type { LocalCluster } from "../../cli/local-cluster/cluster";

/**
 * A local cluster for one test file: etcd, kube-apiserver, controller-manager, scheduler and kwok
 * on free loopback ports in a temp folder. It is stopped by the test's `stop()`, and also when the
 * test process exits or is interrupted. Progress goes to stderr when RIGGING_TEST_VERBOSE is set.
 */
export function startTestCluster(options: StartClusterOptions = {}): Promise<LocalCluster> {
  const verbose = process.env.RIGGING_TEST_VERBOSE
    ? (line: string) => process.stderr.write(`[cluster] ${line}\n`)
    : undefined;
  return startCluster({ onProgress: verbose, ...options });
}
