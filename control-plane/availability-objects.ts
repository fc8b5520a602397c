import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  RIGGING_NAMESPACE,
  WATCHER_NAME,
  WATCHER_POD_LABELS,
  type ManifestObject,
} from "./service-objects";

/**
 * How the control plane runs as replicas: Pepr's watcher Deployment, scaled out. Every watcher
 * replica runs the same Pepr watches and so builds the same mesh model and serves xDS and the CA
 * from it; the Service `rigging` (and the `istiod` alias) spreads proxies across them.
 *
 * Why the watcher and not a second Deployment of the module image: a control-plane pod needs
 * exactly what a watcher is (Pepr's informers for the capabilities' `Watch` bindings, with
 * PEPR_WATCH_MODE=true), so a separate Deployment would be a second set of watchers under another
 * name, and `npx pepr deploy`, which never reads dist/, would not create it at all. Pepr itself
 * does not coordinate watchers (it generates one replica and `Recreate`): each replica runs each
 * Watch callback. Rigging's callbacks either fold events into the replica's own in-memory model
 * (which must happen in every replica) or write `istio-ca-root-cert`, which only the holder of
 * the Lease does (`leader-elector.ts`); the CA Secret is created once by the API server's
 * create-if-absent. Rigging has no OnSchedule and writes no PeprStore, Pepr's other
 * once-per-cluster features. Under plain `npx pepr deploy` one replica runs and leads alone.
 *
 * These objects are manifest-only (scripts/deploy-manifests.ts adds them to dist/ and the chart).
 */

/** Replicas of the watcher the manifests ask for (and the autoscaler's floor). */
export const CONTROL_PLANE_REPLICAS = 2;
/** The autoscaler's ceiling. */
export const CONTROL_PLANE_MAX_REPLICAS = 5;
/** Average CPU use, of the pods' request, the autoscaler holds. */
export const CONTROL_PLANE_TARGET_CPU = 80;

/**
 * The watcher's rollout: one new pod before an old one goes, so a rollout never takes the
 * control plane away (Pepr's `Recreate` would stop every replica at once).
 */
export function watcherStrategy(): Record<string, unknown> {
  return { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
}

const meta = () => ({
  name: WATCHER_NAME,
  namespace: RIGGING_NAMESPACE,
  labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
});

/** Voluntary disruptions (node drains) leave at least one control-plane replica serving. */
export function controlPlaneDisruptionBudget(): ManifestObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(),
    spec: { minAvailable: 1, selector: { matchLabels: { ...WATCHER_POD_LABELS } } },
  };
}

/** Scales the watcher on CPU: compiling for proxies is what grows with the mesh. */
export function controlPlaneAutoscaler(): ManifestObject {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta(),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: WATCHER_NAME },
      minReplicas: CONTROL_PLANE_REPLICAS,
      maxReplicas: CONTROL_PLANE_MAX_REPLICAS,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: CONTROL_PLANE_TARGET_CPU },
          },
        },
      ],
    },
  };
}
