/**
 * The volumes and image pull secrets the templates add: the SPIFFE sockets, Envoy's SDS channel
 * (`istio-envoy`), `istio-data`, `istio-podinfo` (downward API), the projected `istio-token`
 * (audience `istio-ca`), the root cert (`istiod-ca-cert` from ConfigMap `istio-ca-root-cert`),
 * the CRL, and user volumes from `sidecar.istio.io/userVolume`. The pieces are shared by the
 * sidecar, gateway and grpc-agent templates, which list them in slightly different orders.
 */
import { A } from "./annotations";
import type { TemplateContext } from "./template-context";
import { sortedEntries } from "./template-proxy";
import type { JsonObject } from "./types";

/**
 * `workload-certs` (or GKE's CSI certificate volume). `emptyDir: null` is what a template writes
 * for a volume with no source; a strategic merge drops it (the API server defaults emptyDir).
 */
export function workloadCertsVolume(ctx: TemplateContext, emptyDir: JsonObject | null): JsonObject {
  return ctx.values.global.caName === "GkeWorkloadCertificate"
    ? {
        name: "gke-workload-certificate",
        csi: { driver: "workloadcertificates.security.cloud.google.com" },
      }
    : { emptyDir, name: "workload-certs" };
}

/** The ConfigMap of `sidecar.istio.io/bootstrapOverride`, when the pod names one. */
export function customBootstrapVolumes(ctx: TemplateContext): JsonObject[] {
  if (!Object.hasOwn(ctx.annotations, A.bootstrapOverride)) return [];
  return [
    {
      name: "custom-bootstrap-volume",
      configMap: { name: ctx.annotations[A.bootstrapOverride] ?? "" },
    },
  ];
}

/** `istio-podinfo` (labels and annotations through the downward API) and the `istio-token`. */
export function podInfoAndTokenVolumes(ctx: TemplateContext): JsonObject[] {
  return [
    {
      name: "istio-podinfo",
      downwardAPI: {
        items: [
          { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
          { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
        ],
      },
    },
    {
      name: "istio-token",
      projected: {
        sources: [
          {
            serviceAccountToken: {
              path: "istio-token",
              expirationSeconds: 43200,
              audience: ctx.values.global.sds.token.aud,
            },
          },
        ],
      },
    },
  ];
}

/** The mesh root certificate, when istiod (here: Rigging) is the certificate provider. */
export function rootCertVolumes(ctx: TemplateContext): JsonObject[] {
  const g = ctx.values.global;
  if (g.pilotCertProvider !== "istiod") return [];
  return [
    { name: "istiod-ca-cert", configMap: { name: g.trustBundleName || "istio-ca-root-cert" } },
  ];
}

/** The mounted `istio.<serviceAccount>` Secret of `values.global.mountMtlsCerts`. */
export function mtlsCertVolumes(ctx: TemplateContext): JsonObject[] {
  if (!ctx.values.global.mountMtlsCerts) return [];
  const sa = ctx.pod.spec.serviceAccountName;
  return [
    {
      name: "istio-certs",
      secret: { optional: true, secretName: sa ? `istio.${sa}` : "istio.default" },
    },
  ];
}

/** Volumes of `sidecar.istio.io/userVolume`, in Go's sorted map order. */
export function userVolumes(ctx: TemplateContext): JsonObject[] {
  const user = ctx.annotations[A.userVolume];
  if (user === undefined) return [];
  return sortedEntries(user).map(([name, vol]) => ({ ...vol, name }));
}

/** The sidecar template's volumes. */
export function templateVolumes(ctx: TemplateContext): JsonObject[] {
  return [
    { emptyDir: null, name: "workload-socket" },
    { emptyDir: null, name: "credential-socket" },
    workloadCertsVolume(ctx, null),
    ...customBootstrapVolumes(ctx),
    { emptyDir: { medium: "Memory" }, name: "istio-envoy" },
    { name: "istio-data", emptyDir: {} },
    ...podInfoAndTokenVolumes(ctx),
    ...rootCertVolumes(ctx),
    {
      name: "istio-ca-crl",
      configMap: { name: ctx.values.pilot.crlConfigMapName || "istio-ca-crl", optional: true },
    },
    ...mtlsCertVolumes(ctx),
    ...userVolumes(ctx),
  ];
}

/** `imagePullSecrets` from `values.global.imagePullSecrets`. */
export function templatePullSecrets(ctx: TemplateContext): JsonObject[] | undefined {
  const s = ctx.values.global.imagePullSecrets;
  return s.length ? s.map(name => ({ name })) : undefined;
}
