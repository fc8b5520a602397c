import { GenericKind, K8s, RegisterKind } from "kubernetes-fluent-client";
import type { LeaseRecord, LeaseSpec } from "./lease-decision";

/**
 * The Lease the control plane's replicas elect a leader on, read and written through the API
 * server. Every write is conditional on the resourceVersion read, so two replicas that decide
 * at once cannot both win: the API server applies one and answers the other with a conflict.
 */

/** coordination.k8s.io/v1 Lease, registered so kubernetes-fluent-client can address it. */
export class Lease extends GenericKind {
  spec?: LeaseSpec;
}

RegisterKind(Lease, {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
});

/** The Lease replicas elect on (in the control plane's namespace). */
export const LEADER_LEASE = "rigging-control-plane-leader";

/** Reads and writes one Lease; an interface so the elector runs without a cluster in unit tests. */
export interface LeaseStore {
  /** `namespace/name`, for messages. */
  readonly name: string;
  /** The Lease, or undefined when it does not exist. */
  read(): Promise<LeaseRecord | undefined>;
  /** Creates it; false when another replica created it first. */
  create(spec: LeaseSpec): Promise<boolean>;
  /** Replaces its spec if it is still at `resourceVersion`; false when it changed meanwhile. */
  update(resourceVersion: string, spec: LeaseSpec): Promise<boolean>;
}

/** A {@link LeaseStore} on the cluster in KUBECONFIG (or the in-cluster config). */
export function kubernetesLeaseStore(namespace: string, name = LEADER_LEASE): LeaseStore {
  return {
    name: `${namespace}/${name}`,
    async read() {
      try {
        const lease = await K8s(Lease).InNamespace(namespace).Get(name);
        return { spec: lease.spec ?? {}, resourceVersion: lease.metadata?.resourceVersion ?? "" };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new Error(`Lease ${namespace}/${name}: read failed${httpStatus(err)}`);
      }
    },
    async create(spec) {
      try {
        await K8s(Lease).Create({
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "rigging" } },
          spec,
        });
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw new Error(`Lease ${namespace}/${name}: create failed${httpStatus(err)}`);
      }
    },
    async update(resourceVersion, spec) {
      try {
        // JSON Patch's `test` makes the replace conditional, atomically, on the version read.
        await K8s(Lease, { name, namespace }).Patch([
          { op: "test", path: "/metadata/resourceVersion", value: resourceVersion },
          { op: "replace", path: "/spec", value: spec },
        ]);
        return true;
      } catch (err) {
        // 422: the test failed (someone wrote since); 409: a conflict; 404: deleted meanwhile.
        if ([404, 409, 422].includes(statusOf(err) ?? 0)) return false;
        throw new Error(`Lease ${namespace}/${name}: update failed${httpStatus(err)}`);
      }
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { status?: number } | undefined)?.status;
}

function httpStatus(err: unknown): string {
  const status = statusOf(err);
  return status ? ` (HTTP ${status})` : "";
}
