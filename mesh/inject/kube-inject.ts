/**
 * Manual injection, as `istioctl kube-inject` does it
 * (https://github.com/istio/istio/blob/master/pkg/kube/inject/inject.go `IntoResourceFile` and
 * `IntoObject`): every pod template in a manifest — Pods, Deployments, StatefulSets, DaemonSets,
 * ReplicaSets, ReplicationControllers, DeploymentConfigs, Jobs, CronJobs and the items of Lists —
 * gets the sidecar the webhook would add; every other object passes through unchanged.
 */
import { parseAllDocuments, stringify } from "yaml";
import { withApiDefaults } from "./api-defaults";
import { podRef, injectRequired } from "./decision";
import { renderSidecar } from "./inject";
import type { InjectionValues, MeshSettings } from "./settings";
import type { Pod, WorkloadMeta } from "./types";
import { workloadOf } from "./workload";
import { fail, ok, type Result } from "../result";

type Tree = Record<string, unknown>;

/** Options for {@link kubeInjectObject} and {@link kubeInjectStream}. */
export interface KubeInjectOptions {
  /**
   * The namespace an object that names none will be created in (`kubectl apply -n`). It only
   * feeds what the sidecar is told about its workload (`ISTIO_META_OWNER`), so that the output
   * equals what the webhook produces in that namespace; the object itself is not changed.
   * @default "" (Istio's template then says `default`)
   */
  readonly namespace?: string;
  /**
   * Fill in the API server's defaults for ports and probes before injecting (see
   * api-defaults.ts): the webhook sees a defaulted pod, and the sidecar's `ISTIO_META_POD_PORTS`
   * and `ISTIO_KUBE_APP_PROBERS` echo those fields, so only with this does the output equal the
   * webhook's. Istio's own `kube-inject` does not (its goldens are rendered without).
   * @default false
   */
  readonly apiDefaults?: boolean;
}

/** A manifest object after manual injection. */
export interface KubeInjected {
  /** The object, with its pod template(s) injected where the policy says so. */
  readonly object: Tree;
  /** How many pod templates got a sidecar (a List may hold several). */
  readonly injected: number;
}

/** The kinds whose pod template `kube-inject` injects, as Istio's `IntoObject` handles them. */
export const INJECTABLE_KINDS: readonly string[] = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
  "DeploymentConfig",
  "Job",
  "CronJob",
];

const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Where an object keeps the pod's metadata and spec, and the field path to them (for messages).
 * CronJobs carry the labels and annotations Istio reads on the job template, not the pod template.
 */
function podSlots(obj: Tree): { meta: Tree; holder: Tree; path: string } | undefined {
  if (obj.kind === "Pod") {
    if (!isTree(obj.spec)) return undefined;
    return { meta: (obj.metadata ??= {}) as Tree, holder: obj, path: "" };
  }
  const spec = isTree(obj.spec) ? obj.spec : undefined;
  if (obj.kind === "CronJob") {
    const jt = isTree(spec?.jobTemplate) ? spec.jobTemplate : undefined;
    const tmpl = isTree(jt?.spec) && isTree(jt.spec.template) ? jt.spec.template : undefined;
    if (!jt || !tmpl || !isTree(tmpl.spec)) return undefined;
    return { meta: (jt.metadata ??= {}) as Tree, holder: tmpl, path: "spec.jobTemplate." };
  }
  const tmpl = spec?.template;
  if (!isTree(tmpl) || !isTree(tmpl.spec)) return undefined;
  return { meta: (tmpl.metadata ??= {}) as Tree, holder: tmpl, path: "spec.template." };
}

function describe(obj: Tree): string {
  const meta = isTree(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === "string" ? meta.name : "";
  const ns = typeof meta.namespace === "string" ? meta.namespace : "";
  return `${String(obj.kind ?? "object")} ${ns ? `${ns}/` : ""}${name}`;
}

/**
 * Injects every pod template in one manifest object the way `istioctl kube-inject` does: only the
 * injector's own policy check runs (a manifest carries no namespace labels), against the pod
 * template's own namespace. Errors name the object, the field path and the rule.
 */
export function kubeInjectObject(
  obj: Tree,
  mesh: MeshSettings,
  values: InjectionValues,
  options: KubeInjectOptions = {},
): Result<KubeInjected> {
  if (obj.kind === "List" && Array.isArray(obj.items)) {
    const items: unknown[] = [];
    const errors: string[] = [];
    let injected = 0;
    for (const [i, item] of (obj.items as unknown[]).entries()) {
      const r = isTree(item)
        ? kubeInjectObject(item, mesh, values, options)
        : ok({ object: item as Tree, injected: 0 });
      if (!r.ok) errors.push(...r.errors.map(e => `List items[${i}]: ${e}`));
      else {
        injected += r.value.injected;
        items.push(r.value.object);
      }
    }
    if (errors.length) return fail(...errors);
    return ok({ object: { ...obj, items }, injected });
  }
  if (!INJECTABLE_KINDS.includes(String(obj.kind))) return ok({ object: obj, injected: 0 });
  const out = structuredClone(obj);
  const slots = podSlots(out);
  if (!slots) return ok({ object: obj, injected: 0 });
  const meta = (isTree(out.metadata) ? out.metadata : {}) as { name?: string; namespace?: string };
  const given = slots.holder.spec as Pod["spec"];
  const pod = {
    metadata: slots.meta,
    spec: options.apiDefaults ? withApiDefaults(given) : given,
  } as unknown as Pod;
  const podNs = typeof slots.meta.namespace === "string" ? slots.meta.namespace : "";
  const namespace = podNs || meta.namespace || options.namespace || "";
  const workload: WorkloadMeta =
    out.kind === "Pod"
      ? workloadOf(pod, namespace)
      : {
          name: meta.name ?? "",
          namespace: meta.namespace || options.namespace || "",
          kind: String(out.kind),
          apiVersion: String(out.apiVersion ?? ""),
        };
  // Istio's kube-inject checks the template's own namespace only (usually empty), and has no
  // control-plane namespace of its own to skip.
  const policy = injectRequired(pod, podNs, { ...mesh, controlPlaneNamespace: "" }, values);
  if (!policy.inject) return ok({ object: obj, injected: 0 });
  const r = renderSidecar(pod, namespace, mesh, values, workload);
  if (!r.ok) return fail(...r.errors.map(e => renamed(e, podRef(pod, namespace), out, slots.path)));
  const { metadata, spec } = r.value;
  for (const k of Object.keys(slots.meta)) delete slots.meta[k];
  Object.assign(slots.meta, metadata);
  slots.holder.spec = spec;
  return ok({ object: out, injected: 1 });
}

// The injector names the pod it was given; for a workload that pod is a template with no name,
// so name the workload and give the field path from the workload's root instead.
function renamed(error: string, pod: string, obj: Tree, path: string): string {
  if (path === "" || !error.startsWith(`${pod}: `)) return error;
  const rest = error.slice(pod.length + 2);
  return `${describe(obj)}: ${rest.startsWith("metadata.") ? path : ""}${rest}`;
}

/**
 * A document's own text, without the `---`/`...` markers around it (the output adds its own), or
 * undefined when a marker line carries content or a directive (then it is re-serialised). Markers
 * are only ever at column 0, so a block scalar's indented `---` is safe.
 */
function asWritten(chunk: string): string | undefined {
  const lines = chunk.split("\n");
  if (lines.some(l => /^(---|\.\.\.)[ \t]+[^#\s]/.test(l) || l.startsWith("%"))) return undefined;
  const kept = lines.filter(l => !/^(---|\.\.\.)[ \t]*(#.*)?$/.test(l));
  const body = kept.join("\n").replace(/\s+$/, "");
  return body === "" ? undefined : `${body}\n`;
}

/** The outcome of {@link kubeInjectStream}. */
export interface KubeInjectedStream {
  /** The whole stream as YAML, documents separated by `---`. */
  readonly yaml: string;
  /** How many pod templates got a sidecar. */
  readonly injected: number;
  /** How many documents the stream held (empty documents not counted). */
  readonly documents: number;
}

/**
 * Injects a multi-document YAML (or JSON) manifest stream. Documents that are not injected come
 * out as they came in, comments included; injected ones are re-serialised. Any invalid document
 * or malformed injection annotation fails the whole stream, with every error found, each naming
 * the document (`source: document N`), so that no half-injected manifest is ever applied.
 */
export function kubeInjectStream(
  text: string,
  mesh: MeshSettings,
  values: InjectionValues,
  options: KubeInjectOptions & { source?: string } = {},
): Result<KubeInjectedStream> {
  const source = options.source ?? "input";
  const parts: string[] = [];
  const errors: string[] = [];
  let injected = 0;
  let end = 0;
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    const start = end;
    end = doc.range[2];
    const where = `${source}: document ${i + 1}`;
    if (doc.errors.length) {
      for (const e of doc.errors)
        errors.push(`${where}: invalid YAML: ${e.message.split("\n")[0]?.replace(/:$/, "")}`);
      continue;
    }
    const value: unknown = doc.toJSON();
    if (value === null || value === undefined) continue;
    const r = isTree(value)
      ? kubeInjectObject(value, mesh, values, options)
      : ok({ object: value as Tree, injected: 0 });
    if (!r.ok) {
      errors.push(...r.errors.map(e => `${where}: ${e}`));
      continue;
    }
    injected += r.value.injected;
    // A document left alone keeps its exact text (comments too); only injected ones are re-emitted.
    parts.push(
      r.value.injected > 0
        ? stringify(r.value.object, { lineWidth: 0 })
        : (asWritten(text.slice(start, end)) ?? doc.toString().replace(/^---[ \t]*\n/, "")),
    );
  }
  if (errors.length) return fail(...errors);
  return ok({ yaml: parts.join("---\n"), injected, documents: parts.length });
}
