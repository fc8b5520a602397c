import { K8s, kind, type GenericClass } from "kubernetes-fluent-client";
import { Store } from "../dev/pepr-store-kind";
import { Lease } from "../../control-plane/lease-store";
import { WATCHER_POD_LABELS } from "../../control-plane/service-objects";
import { targetName, type UninstallPlan, type UninstallTarget } from "./plan";

/** What happened to one target. */
export interface UninstallOutcome {
  readonly target: string;
  readonly result: "deleted" | "absent" | "not ours" | "kept";
  readonly why: string;
}

const models: Record<UninstallTarget["kind"], GenericClass> = {
  MutatingWebhookConfiguration: kind.MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration: kind.ValidatingWebhookConfiguration,
  Deployment: kind.Deployment,
  PodDisruptionBudget: kind.PodDisruptionBudget,
  HorizontalPodAutoscaler: kind.HorizontalPodAutoscaler,
  Lease,
  Service: kind.Service,
  Secret: kind.Secret,
  ServiceAccount: kind.ServiceAccount,
  ClusterRole: kind.ClusterRole,
  ClusterRoleBinding: kind.ClusterRoleBinding,
  Role: kind.Role,
  RoleBinding: kind.RoleBinding,
  PeprStore: Store,
  ConfigMap: kind.ConfigMap,
  CustomResourceDefinition: kind.CustomResourceDefinition,
  Namespace: kind.Namespace,
};

type Meta = { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

/**
 * Carries out `plan` on the cluster in KUBECONFIG; `log` gets one line per object. Waits up to
 * `watcherTimeoutMs` for the watcher pods to go before deleting what the control plane writes.
 */
export async function runUninstall(
  plan: UninstallPlan,
  log: (line: string) => void,
  watcherTimeoutMs = 60_000,
): Promise<UninstallOutcome[]> {
  const outcomes: UninstallOutcome[] = [];
  const record = (o: UninstallOutcome) => {
    outcomes.push(o);
    log(`${o.result.padEnd(8)} ${o.target}  (${o.why})`);
  };
  for (const t of plan.first) for (const o of await remove(t)) record(o);
  await watcherGone(watcherTimeoutMs, log);
  for (const t of plan.afterWatcher) for (const o of await remove(t)) record(o);
  for (const t of plan.keep) record({ target: targetName(t), result: "kept", why: t.why });
  return outcomes;
}

async function remove(t: UninstallTarget): Promise<UninstallOutcome[]> {
  const model = models[t.kind];
  const [key, value] = (t.selector ?? "=").split("=") as [string, string];
  if (t.name === "*") {
    const query = t.namespace ? K8s(model).InNamespace(t.namespace) : K8s(model);
    const list = (await query.WithLabel(key, value).Get()) as { items: Meta[] };
    const out: UninstallOutcome[] = [];
    for (const item of list.items) {
      const one = { ...t, name: item.metadata!.name!, namespace: item.metadata?.namespace };
      await deleteOne(model, one);
      out.push({ target: targetName(one), result: "deleted", why: t.why });
    }
    return out;
  }
  const existing = await get(model, t);
  if (!existing) return [{ target: targetName(t), result: "absent", why: t.why }];
  if (t.selector && existing.metadata?.labels?.[key] !== value)
    return [{ target: targetName(t), result: "not ours", why: `${t.why}; no label ${t.selector}` }];
  await deleteOne(model, t);
  return [{ target: targetName(t), result: "deleted", why: t.why }];
}

async function get(model: GenericClass, t: UninstallTarget): Promise<Meta | undefined> {
  try {
    const q = t.namespace ? K8s(model).InNamespace(t.namespace) : K8s(model);
    return (await q.Get(t.name)) as Meta;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw new Error(
      `${targetName(t)}: could not read it (HTTP ${(err as { status?: number }).status})`,
    );
  }
}

async function deleteOne(
  model: GenericClass,
  t: Pick<UninstallTarget, "kind" | "namespace" | "name">,
) {
  try {
    const q = t.namespace ? K8s(model).InNamespace(t.namespace) : K8s(model);
    await q.Delete(t.name);
  } catch (err) {
    throw new Error(
      `${targetName(t)}: could not delete it (HTTP ${(err as { status?: number }).status})`,
    );
  }
}

async function watcherGone(timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let q = K8s(kind.Pod).InNamespace("pepr-system");
    for (const [k, v] of Object.entries(WATCHER_POD_LABELS)) q = q.WithLabel(k, v);
    const pods = await q.Get();
    if (pods.items.length === 0) return;
    if (Date.now() > deadline) {
      log(
        `warning: ${pods.items.length} watcher pod(s) still present after ${timeoutMs / 1000}s; a running watcher may write istio-ca-root-cert again`,
      );
      return;
    }
    await new Promise(r => setTimeout(r, 500));
  }
}
