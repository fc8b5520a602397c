import { K8s, kind } from "kubernetes-fluent-client";
import type { ControlPlaneLogger } from "./logger";
import {
  ISTIOD_SERVICE,
  istiodAlias,
  istiodNamespaceObject,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  riggingService,
} from "./service-objects";

/**
 * Applies the control-plane Services from the watcher at start, by server-side apply: `npx pepr
 * deploy` creates Pepr's objects through the API and never reads the manifests `npm run build`
 * post-processes, so without this a `pepr deploy` would leave `istiod.istio-system.svc` and
 * `rigging.pepr-system.svc` unresolvable. Applying the same objects the manifests carry is a no-op
 * when they are there already; every replica applies the same content, so N replicas agree.
 * Failures are logged per object: xDS keeps serving whoever can reach it.
 */
export async function applyControlPlaneServices(
  istiodNamespace: string,
  logger: ControlPlaneLogger,
): Promise<{ applied: string[]; failed: string[] }> {
  const steps: Array<[string, () => Promise<unknown>]> = [
    [
      `Namespace ${istiodNamespace}`,
      () =>
        K8s(kind.Namespace).Apply(istiodNamespaceObject(istiodNamespace) as kind.Namespace, {
          force: false,
        }),
    ],
    [
      "Service pepr-system/rigging",
      () => K8s(kind.Service).Apply(riggingService() as kind.Service, { force: true }),
    ],
    [
      `Service ${istiodNamespace}/istiod`,
      async () => {
        // An istiod Service that is not ours is Istio's own: never turn it into an alias.
        const existing = await K8s(kind.Service)
          .InNamespace(istiodNamespace)
          .Get(ISTIOD_SERVICE)
          .catch(err => {
            if ((err as { status?: number }).status === 404) return undefined;
            throw err;
          });
        if (existing && existing.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
          throw Object.assign(new Error("not ours"), { status: "exists, not managed by rigging" });
        }
        await K8s(kind.Service).Apply(istiodAlias(istiodNamespace) as kind.Service, {
          force: true,
        });
      },
    ],
  ];
  const applied: string[] = [];
  const failed: string[] = [];
  for (const [what, apply] of steps) {
    try {
      await apply();
      applied.push(what);
    } catch (err) {
      failed.push(what);
      logger.warn(
        { object: what, status: (err as { status?: number }).status },
        `${what}: could not apply the control plane's Service; clients dialing it will not reach xDS`,
      );
    }
  }
  if (applied.length > 0) logger.info({ applied }, "applied the control plane's Services");
  return { applied, failed };
}
