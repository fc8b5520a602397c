/**
 * `rig analyze` findings attached to the nodes of the objects they name: a Service or
 * ServiceEntry to its own node, a VirtualService or DestinationRule to the services its hosts
 * name, a selector-bound policy (PeerAuthentication, AuthorizationPolicy, Sidecar, …) to the
 * workloads it selects, a Pod to its workload; anything else, or a reference that reaches no
 * node, to its namespace.
 */
import type { AnalysisMessage, Resource } from "../../../mesh/analysis";
import { originText } from "../../../mesh/analysis";
import type { GraphWarning } from "./types";
import { serviceId, servicesForHost, type ServiceInfo } from "./services";
import { selectsWorkload, type WorkloadInfo } from "./workloads";

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );

/** The page's form of a finding. */
export function graphWarning(m: AnalysisMessage): GraphWarning {
  const { source: _source, ...object } = m.origin;
  return { level: m.level, code: m.code, origin: originText(object), message: m.message };
}

/** The namespace node id of `namespace`. */
export const namespaceId = (namespace: string) => `ns:${namespace}`;

/** What the graph knows, to attach findings to. */
export interface AttachContext {
  readonly resources: readonly Resource[];
  readonly services: readonly ServiceInfo[];
  readonly workloads: readonly WorkloadInfo[];
}

/** The ids of the nodes a finding belongs to (never empty: the namespace at least). */
export function attachTo(m: AnalysisMessage, ctx: AttachContext): string[] {
  const { kind, namespace, name } = m.origin;
  const object = ctx.resources.find(
    r => r.kind === kind && r.namespace === namespace && r.name === name,
  );
  const spec = record(object?.object.spec);
  let ids: string[] = [];
  if (kind === "Service" || kind === "ServiceEntry") {
    const id = serviceId(namespace, name);
    ids = ctx.services.some(s => s.id === id) ? [id] : [];
  } else if (kind === "VirtualService") {
    ids = strings(spec.hosts).flatMap(h =>
      servicesForHost(ctx.services, h, namespace).map(s => s.id),
    );
  } else if (kind === "DestinationRule" && typeof spec.host === "string") {
    ids = servicesForHost(ctx.services, spec.host, namespace).map(s => s.id);
  } else if (kind === "Pod") {
    ids = ctx.workloads.filter(w => w.pods.includes(`${name}.${namespace}`)).map(w => w.id);
  } else if (object) {
    const selector = {
      ...stringMap(record(spec.selector).matchLabels),
      ...stringMap(record(spec.workloadSelector).labels),
    };
    // A policy without a selector covers its namespace: the namespace node says so once.
    if (Object.keys(selector).length > 0)
      ids = ctx.workloads
        .filter(w => w.namespace === namespace && selectsWorkload(selector, w))
        .map(w => w.id);
  }
  return ids.length > 0 ? [...new Set(ids)] : [namespaceId(namespace)];
}
