/**
 * The process's one {@link InjectorConfigSource} and the watches that feed it. Pepr runs a
 * capability's `Watch` only in the watcher pod, but injection happens in the admission pods, so
 * every process that admits pods watches the two ConfigMaps itself (one object each, by name).
 * Constructing the source does no I/O (`pepr build` loads this file); `pepr.ts` starts the
 * watches outside build mode.
 */
import { Counter, Registry } from "prom-client";
import { K8s, kind, Log } from "pepr";
import { MESH_CONFIGMAP } from "../mesh/meshconfig";
import { injectorConfigMapName } from "../mesh/inject";
import { istiodNamespace } from "./config";
import {
  InjectorConfigSource,
  type ConfigMapWatch,
  type InjectorSettings,
} from "./injector-config-source";
import type { ConfigMapObject } from "./mesh-config-source";
import { exposeOnPeprMetrics } from "./metrics";

/** How long an admission waits for the first read of the ConfigMaps after start. */
const FIRST_READ_WAIT_MS = 5000;

const loads = new Counter({
  name: "rigging_injector_config_loads_total",
  help: "Loads of the injection settings ConfigMaps (istio-sidecar-injector, istio), by configmap and result (applied, unchanged, rejected: the previous settings stay; defaults: the ConfigMap was deleted)",
  labelNames: ["configmap", "result"],
  registers: [],
});

/** The injector settings this process uses; see {@link watchInjectorConfig}. */
export const injectorConfig = new InjectorConfigSource({ logger: Log, loads });

let firstRead: Promise<void> = Promise.resolve();

/**
 * The settings for the next injection. Right after start it waits (at most a few seconds) for
 * the first read of the ConfigMaps, so that no pod is injected with defaults the cluster
 * overrides.
 */
export async function injectorSettings(): Promise<InjectorSettings> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>(resolve => (timer = setTimeout(resolve, FIRST_READ_WAIT_MS)));
  await Promise.race([firstRead, waited]);
  clearTimeout(timer);
  return injectorConfig.current;
}

/** Reads a ConfigMap once (absent is fine) and hands it to `apply` as ADDED. */
async function readOnce(namespace: string, name: string, apply: ConfigMapWatch): Promise<void> {
  try {
    const cm = await K8s(kind.ConfigMap).InNamespace(namespace).Get(name);
    apply(cm as ConfigMapObject, "ADDED");
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status !== 404)
      Log.warn({ configMap: `${namespace}/${name}`, err: String(err) }, "cannot read ConfigMap");
  }
}

/**
 * Starts following `istio-sidecar-injector` and `istio` in RIGGING_ISTIOD_NAMESPACE, and serves
 * the loads counter on the module's `/metrics`.
 */
export function watchInjectorConfig(env: NodeJS.ProcessEnv = process.env): void {
  const registry = new Registry();
  registry.registerMetric(loads);
  exposeOnPeprMetrics(registry);
  const namespace = istiodNamespace(env);
  const follows: [string, ConfigMapWatch][] = [
    [injectorConfigMapName(""), injectorConfig.onInjectorConfigMap],
    [MESH_CONFIGMAP, injectorConfig.onMeshConfigMap],
  ];
  firstRead = Promise.all(follows.map(([name, apply]) => readOnce(namespace, name, apply))).then(
    () => undefined,
  );
  for (const [name, apply] of follows) {
    const watcher = K8s(kind.ConfigMap, { namespace, name }).Watch((cm, phase) =>
      apply(cm as ConfigMapObject, phase),
    );
    watcher
      .start()
      .catch(err =>
        Log.error({ configMap: `${namespace}/${name}`, err: String(err) }, "watch not started"),
      );
  }
}
