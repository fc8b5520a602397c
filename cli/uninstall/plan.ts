import {
  ISTIOD_SERVICE,
  RIGGING_NAMESPACE,
  RIGGING_SERVICE,
  WATCHER_NAME,
} from "../../control-plane/service-objects";
import { LEADER_LEASE } from "../../control-plane/lease-store";

/**
 * What `rig uninstall` removes and what it keeps, in the order it acts: webhooks first (so that
 * admission, which fails closed, stops before its server goes), then the control plane and what
 * Pepr created for it, then what the control plane wrote into the cluster at run time, which only
 * goes once the watcher has stopped (it would restore a deleted root-cert ConfigMap).
 */

/** One object to delete or keep. */
export interface UninstallTarget {
  /** API kind, as `kubectl get` names it. */
  readonly kind:
    | "MutatingWebhookConfiguration"
    | "ValidatingWebhookConfiguration"
    | "Deployment"
    | "PodDisruptionBudget"
    | "HorizontalPodAutoscaler"
    | "Lease"
    | "Service"
    | "Secret"
    | "ServiceAccount"
    | "ClusterRole"
    | "ClusterRoleBinding"
    | "Role"
    | "RoleBinding"
    | "PeprStore"
    | "ConfigMap"
    | "CustomResourceDefinition"
    | "Namespace";
  readonly namespace?: string;
  /** A name, or `*` for every object of the kind carrying {@link UninstallTarget.selector}. */
  readonly name: string;
  /** A label selector (`k=v`) for `*` targets, and a guard for named ones that may not be ours. */
  readonly selector?: string;
  /** Why it goes or stays, for the user. */
  readonly why: string;
}

/** The plan. */
export interface UninstallPlan {
  /** Deleted before the watcher is waited for. */
  readonly first: readonly UninstallTarget[];
  /** Deleted after the watcher pods are gone. */
  readonly afterWatcher: readonly UninstallTarget[];
  /** Left in place, with the reason. */
  readonly keep: readonly UninstallTarget[];
}

const MODULE = "pepr-rigging";
const OURS = "app.kubernetes.io/managed-by=rigging";
const ISTIO_CRDS = "app.kubernetes.io/part-of=rigging";

/** The plan for `--purge` or not, with istiod's namespace (RIGGING_ISTIOD_NAMESPACE). */
export function uninstallPlan(options: { purge: boolean; istiodNamespace: string }): UninstallPlan {
  const ns = RIGGING_NAMESPACE;
  const pepr = "created by pepr deploy / the manifests / the chart";
  const first: UninstallTarget[] = [
    { kind: "MutatingWebhookConfiguration", name: MODULE, why: "sidecar injection" },
    { kind: "ValidatingWebhookConfiguration", name: MODULE, why: "config validation" },
    { kind: "Deployment", namespace: ns, name: MODULE, why: "admission" },
    // The autoscaler first: it would otherwise recreate replicas of the Deployment's last scale.
    {
      kind: "HorizontalPodAutoscaler",
      namespace: ns,
      name: WATCHER_NAME,
      selector: OURS,
      why: "the control plane's autoscaler",
    },
    { kind: "Deployment", namespace: ns, name: WATCHER_NAME, why: "watcher and control plane" },
    {
      kind: "PodDisruptionBudget",
      namespace: ns,
      name: WATCHER_NAME,
      selector: OURS,
      why: "the control plane's disruption budget",
    },
    { kind: "Service", namespace: ns, name: MODULE, why: pepr },
    { kind: "Service", namespace: ns, name: WATCHER_NAME, why: pepr },
    { kind: "Service", namespace: ns, name: RIGGING_SERVICE, selector: OURS, why: "xDS + CA" },
    {
      kind: "Service",
      namespace: options.istiodNamespace,
      name: ISTIOD_SERVICE,
      selector: OURS,
      why: "the istiod alias (an istiod Service that is not ours is left alone)",
    },
    { kind: "Secret", namespace: ns, name: `${MODULE}-module`, why: pepr },
    { kind: "Secret", namespace: ns, name: `${MODULE}-tls`, why: pepr },
    { kind: "Secret", namespace: ns, name: `${MODULE}-api-path`, why: pepr },
    { kind: "PeprStore", namespace: ns, name: `${MODULE}-store`, why: "Pepr's store" },
    { kind: "PeprStore", namespace: ns, name: `${MODULE}-schedule`, why: "Pepr's schedule store" },
  ];
  const afterWatcher: UninstallTarget[] = [
    {
      kind: "ConfigMap",
      name: "*",
      selector: OURS,
      why: "istio-ca-root-cert in every namespace, written by the control plane",
    },
    {
      kind: "Lease",
      namespace: ns,
      name: LEADER_LEASE,
      selector: OURS,
      why: "the control plane's leader election, written by the replicas",
    },
    { kind: "ClusterRoleBinding", name: MODULE, why: pepr },
    { kind: "ClusterRole", name: MODULE, why: pepr },
    { kind: "RoleBinding", namespace: ns, name: `${MODULE}-store`, why: pepr },
    { kind: "Role", namespace: ns, name: `${MODULE}-store`, why: pepr },
    { kind: "ServiceAccount", namespace: ns, name: MODULE, why: pepr },
  ];
  const caSecret: UninstallTarget = {
    kind: "Secret",
    namespace: ns,
    name: "rigging-ca",
    why: "the self-signed mesh root: kept so a reinstall signs under the root workloads already trust (--purge deletes it)",
  };
  const crds: UninstallTarget = {
    kind: "CustomResourceDefinition",
    name: "*",
    selector: ISTIO_CRDS,
    why: "the Istio CRDs, with the user's mesh config in them: kept, as Istio's own uninstall keeps them (--purge deletes them and that config)",
  };
  const peprNamespace: UninstallTarget = {
    kind: "Namespace",
    name: ns,
    why: "holds the CA root Secret (--purge deletes it)",
  };
  const keep: UninstallTarget[] = [
    {
      kind: "Namespace",
      name: options.istiodNamespace,
      why: "may hold the user's own mesh config (istio, istio-sidecar-injector, cacerts); never deleted",
    },
  ];
  if (options.purge) afterWatcher.push(caSecret, crds, peprNamespace);
  else keep.push(caSecret, crds, peprNamespace);
  return { first, afterWatcher, keep };
}

/** `Kind ns/name` or `Kind name`, as the output names a target. */
export function targetName(t: Pick<UninstallTarget, "kind" | "namespace" | "name">): string {
  return `${t.kind} ${t.namespace ? `${t.namespace}/` : ""}${t.name}`;
}
