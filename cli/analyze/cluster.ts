import { K8s, kind } from "kubernetes-fluent-client";
import { KIND_NAMES, KINDS } from "../../mesh/api/kinds";
import { toResource, type Resource } from "../../mesh/analysis";
import { MESH_CONFIGMAP } from "../../mesh/meshconfig";
import { istiodNamespace } from "../../control-plane/config";

/** A list read from the API server. */
interface Listed {
  items?: Record<string, unknown>[];
}

// List items of built-in kinds come without apiVersion and kind; put them back so the analyzers
// can tell a Service from a ServiceEntry.
function resources(list: Listed, apiVersion: string, kindName: string): Resource[] {
  return (list.items ?? [])
    .map(item => toResource({ apiVersion, kind: kindName, ...item }, "default"))
    .filter((r): r is Resource => r !== undefined);
}

const notInstalled = (err: unknown): Listed => {
  // A kind whose CRD is not installed has no objects; anything else is a real failure.
  if ((err as { status?: number })?.status === 404) return { items: [] };
  throw err;
};

/** The mesh config ConfigMap where the control plane reads it, if there is one. */
async function meshConfigMap(): Promise<Resource[]> {
  const found = await K8s(kind.ConfigMap)
    .InNamespace(istiodNamespace(process.env))
    .Get(MESH_CONFIGMAP)
    .catch((err: unknown) => {
      if ((err as { status?: number })?.status === 404) return undefined;
      throw err;
    });
  return found ? resources({ items: [found as Record<string, unknown>] }, "v1", "ConfigMap") : [];
}

/**
 * Reads, from every namespace of the cluster in KUBECONFIG, what the analyzers need: the Istio
 * kinds Rigging serves, Services, Pods and the mesh config ConfigMap.
 */
export async function readCluster(): Promise<Resource[]> {
  const out: Resource[] = [];
  out.push(...resources((await K8s(kind.Service).Get()) as Listed, "v1", "Service"));
  out.push(...resources((await K8s(kind.Pod).Get()) as Listed, "v1", "Pod"));
  out.push(...(await meshConfigMap()));
  for (const name of KIND_NAMES) {
    const info = KINDS[name];
    const version = info.storageVersion;
    const list = (await K8s(kind.GenericKind, {
      kindOverride: { group: info.group, version, kind: name, plural: info.plural },
    })
      .Get()
      .catch(notInstalled)) as Listed;
    out.push(...resources(list, `${info.group}/${version}`, name));
  }
  return out;
}
