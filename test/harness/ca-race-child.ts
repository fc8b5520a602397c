// One contender in the CA race test (test/integration/replicas.test.ts): a separate process that
// waits for a barrier file, so that both contenders read "no Secret" at the same moment, then
// bootstraps the control plane's MeshCa against the Secret store in the given namespace and
// prints the root it ended with. Its log lines (JSON) go to stderr.
import { existsSync } from "node:fs";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { kubernetesCaSecretStore } from "../../control-plane/ca-secrets";
import { jsonLinesToStderr } from "../../control-plane/logger";
import { MeshCa } from "../../control-plane/mesh-ca";

async function main(): Promise<void> {
  const [barrier, namespace] = process.argv.slice(2) as [string, string];
  const store = kubernetesCaSecretStore(namespace);
  // Warm the client (kubeconfig, TLS session) first, so that after the barrier both contenders'
  // reads reach the API server within milliseconds of each other.
  await store.read("rigging-ca-warm-up");
  while (!existsSync(barrier)) await new Promise(r => setTimeout(r, 2));
  const ca = new MeshCa({
    store,
    logger: jsonLinesToStderr,
    deps: nodeCaDeps,
  });
  await ca.bootstrap();
  process.stdout.write(`${JSON.stringify({ root: ca.bundle() })}\n`);
}

main().catch(err => {
  console.error(String(err));
  process.exit(1);
});
