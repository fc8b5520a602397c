// A process that owns a local cluster and then waits: the harness test interrupts or kills it
// to check that the cluster does not outlive its owner.
import { startCluster } from "../../cli/local-cluster/cluster";

void startCluster({ nodes: 1 }).then(cluster => {
  const pids = cluster.state.processes.map(p => p.pid);
  process.stdout.write(`${JSON.stringify({ dir: cluster.state.dir, pids })}\n`);
  setInterval(() => {}, 60_000);
});
