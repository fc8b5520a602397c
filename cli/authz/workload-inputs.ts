/**
 * What `rig authz check` and `rig x explain` read: one Pod and the mesh's security config, from
 * manifest files (`-f`) or the cluster in KUBECONFIG, as a mesh store so the answers come from
 * the same selection code the compiler uses.
 */
import { K8s, kind } from "kubernetes-fluent-client";
import { KINDS } from "../../mesh/api/kinds";
import { getIn, storeOf, type KubePod, type MeshStore, type StoreObject } from "../../mesh/store";
import { readAllStdin, readManifestFiles } from "../analyze/files";

/** The pod asked about, with its raw object for container ports. */
export interface WorkloadInputs {
  readonly store: MeshStore;
  readonly pod: KubePod;
  /** `spec.containers[].ports[].containerPort`, sorted. */
  readonly containerPorts: readonly number[];
}

const SECURITY = ["AuthorizationPolicy", "PeerAuthentication"] as const;

interface Listed {
  items?: Record<string, unknown>[];
}

function containerPorts(pod: Record<string, unknown>): number[] {
  const spec = (pod.spec ?? {}) as { containers?: { ports?: { containerPort?: number }[] }[] };
  const ports = (spec.containers ?? []).flatMap(c => (c.ports ?? []).map(p => p.containerPort));
  return [...new Set(ports.filter((p): p is number => typeof p === "number"))].sort(
    (a, b) => a - b,
  );
}

async function fromFiles(paths: readonly string[], namespace: string): Promise<StoreObject[]> {
  const input = await readManifestFiles(paths, namespace, () => readAllStdin());
  const [error] = input.errors;
  if (error) throw new Error(`${error.source}: cannot parse: ${error.message}`);
  // parseManifests fills in the namespace; hand the store objects that carry it.
  return input.resources.map(
    r =>
      ({
        ...r.object,
        metadata: { ...(r.object.metadata as object), namespace: r.namespace },
      }) as unknown as StoreObject,
  );
}

async function fromCluster(namespace: string, pod: string): Promise<StoreObject[]> {
  const out: StoreObject[] = [];
  const got = (await K8s(kind.Pod).InNamespace(namespace).Get(pod)) as unknown as Record<
    string,
    unknown
  >;
  out.push({ apiVersion: "v1", kind: "Pod", ...got } as unknown as StoreObject);
  for (const name of SECURITY) {
    const info = KINDS[name];
    const list = (await K8s(kind.GenericKind, {
      kindOverride: {
        group: info.group,
        version: info.storageVersion,
        kind: name,
        plural: info.plural,
      },
    })
      .Get()
      .catch((err: unknown) => {
        // A CRD that is not installed holds no policies.
        if ((err as { status?: number })?.status === 404) return { items: [] };
        throw err;
      })) as Listed;
    for (const item of list.items ?? [])
      out.push({
        apiVersion: `${info.group}/${info.storageVersion}`,
        kind: name,
        ...item,
      } as unknown as StoreObject);
  }
  return out;
}

/**
 * Reads the pod `namespace/name` and the security config: from `files` when given (no cluster
 * needed), else from the cluster. Throws naming the pod when it is not there.
 */
export async function readWorkloadInputs(
  name: string,
  namespace: string,
  files: readonly string[],
): Promise<WorkloadInputs> {
  const objects =
    files.length > 0 ? await fromFiles(files, namespace) : await fromCluster(namespace, name);
  const store = storeOf(objects);
  const pod = getIn(store.pods, `${namespace}/${name}`);
  const raw = objects.find(
    o =>
      o.kind === "Pod" &&
      o.metadata.name === name &&
      (o.metadata.namespace ?? namespace) === namespace,
  );
  if (!raw) {
    const where = files.length > 0 ? `in ${files.join(", ")}` : "in the cluster";
    throw new Error(`Pod ${namespace}/${name} not found ${where}`);
  }
  return {
    store,
    pod: (pod ?? raw) as KubePod,
    containerPorts: containerPorts(raw as unknown as Record<string, unknown>),
  };
}
