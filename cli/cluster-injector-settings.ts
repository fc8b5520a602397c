import { K8s, kind } from "kubernetes-fluent-client";
import { istiodNamespace } from "../control-plane/config";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectorConfigFromConfigMap,
  injectorConfigMapName,
  injectorMeshFromConfigMap,
  type InjectionValues,
  type MeshSettings,
} from "../mesh/inject";
import { MESH_CONFIGMAP } from "../mesh/meshconfig";
import type { Result } from "../mesh/result";

type ConfigMap = Parameters<typeof injectorConfigFromConfigMap>[0];

/** A ConfigMap, or undefined when it does not exist (other failures throw). */
async function read(namespace: string, name: string): Promise<ConfigMap | undefined> {
  try {
    return (await K8s(kind.ConfigMap).InNamespace(namespace).Get(name)) as ConfigMap;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw new Error(`cannot read ConfigMap ${namespace}/${name}: ${JSON.stringify(err)}`);
  }
}

/**
 * The injection settings the webhook uses, read from the cluster in KUBECONFIG: the
 * `istio-sidecar-injector` and `istio` ConfigMaps in RIGGING_ISTIOD_NAMESPACE through the
 * webhook's parsers. A malformed ConfigMap is an error (the webhook refuses it and keeps settings
 * this command cannot see), naming the ConfigMap, the field and the rule.
 */
export async function clusterInjectorSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Result<{ mesh: MeshSettings; values: InjectionValues }>> {
  const namespace = istiodNamespace(env);
  const [injector, meshMap] = await Promise.all([
    read(namespace, injectorConfigMapName("")),
    read(namespace, MESH_CONFIGMAP),
  ]);
  const values = injector ? injectorConfigFromConfigMap(injector) : undefined;
  const mesh = meshMap ? injectorMeshFromConfigMap(meshMap) : undefined;
  const errors = [
    ...(values && !values.ok ? values.errors : []),
    ...(mesh && !mesh.ok ? mesh.errors : []),
  ];
  if (errors.length > 0) {
    const note = "refused by the webhook, which keeps its previous settings";
    return { ok: false, errors: errors.map(e => `${e} (${note})`) };
  }
  return {
    ok: true,
    value: {
      values: values?.ok ? values.value : defaultInjectionValues(),
      mesh: mesh?.ok ? mesh.value : defaultMeshSettings(),
    },
  };
}
