import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { join } from "node:path";
import { stringify } from "yaml";
import type { LocalCluster } from "./cluster";
import { eventually } from "./poll";

// Kept here for the integration tests that import it with the cluster helpers.
export { eventually };

/** GET a path and return the JSON body, failing the test on anything but 200. */
export async function getJson<T>(cluster: LocalCluster, path: string): Promise<T> {
  const res = await cluster.api("GET", path);
  if (res.status !== 200)
    throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** POST an object and return the stored object, failing the test on anything but 201. */
export async function create<T>(cluster: LocalCluster, path: string, obj: unknown): Promise<T> {
  const res = await cluster.api("POST", path, obj);
  if (res.status !== 201)
    throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** Runs the cluster's own kubectl against it, with `input` on stdin. */
export function kubectl(
  cluster: LocalCluster,
  args: string[],
  input?: string,
): SpawnSyncReturns<string> {
  return spawnSync(join(cluster.state.binDir, "kubectl"), args, {
    input,
    encoding: "utf8",
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
  });
}

/** `kubectl apply` of `docs` as one YAML stream; the result, for tests that read its output. */
export function kubectlApply(
  cluster: LocalCluster,
  docs: readonly unknown[],
): SpawnSyncReturns<string> {
  return kubectl(cluster, ["apply", "-f", "-"], docs.map(d => stringify(d)).join("---\n"));
}

/** `kubectl apply` of `docs`, failing the test with kubectl's message if it is refused. */
export function applyOrFail(cluster: LocalCluster, docs: readonly unknown[]): void {
  const res = kubectlApply(cluster, docs);
  if (res.status !== 0) throw new Error(`kubectl apply: ${res.stderr}`);
}

/**
 * Waits for a namespace's default ServiceAccount, which the controller-manager creates a moment
 * after the namespace: until it exists, the API server refuses pods there.
 */
export function defaultServiceAccount(cluster: LocalCluster, namespace: string): Promise<true> {
  return eventually(`the default ServiceAccount in ${namespace}`, async () =>
    (await cluster.api("GET", `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status ===
    200
      ? true
      : undefined,
  );
}

/** Creates a namespace with `labels` and waits until pods can be created in it. */
export async function createNamespace(
  cluster: LocalCluster,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await create(cluster, "/api/v1/namespaces", { metadata: { name, labels } });
  await defaultServiceAccount(cluster, name);
}
