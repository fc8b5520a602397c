/**
 * The volumes and image pull secrets the template adds: the SPIFFE sockets, Envoy's SDS channel
 * (`istio-envoy`), `istio-data`, `istio-podinfo` (downward API), the projected `istio-token`
 * (audience `istio-ca`), the root cert (`istiod-ca-cert` from ConfigMap `istio-ca-root-cert`),
 * the CRL, and user volumes from `sidecar.istio.io/userVolume`.
 */
import { A } from "./annotations";
import type { TemplateContext } from "./template-context";
import { sortedEntries } from "./template-proxy";
import type { JsonObject } from "./types";

/**
 * The template's volumes. `emptyDir: null` is what the template writes for the sockets; a
 * strategic merge drops it, so those volumes carry no source (the API server defaults emptyDir).
 */
export function templateVolumes(ctx: TemplateContext): JsonObject[] {
  const g = ctx.values.global;
  const vols: JsonObject[] = [
    { emptyDir: null, name: "workload-socket" },
    { emptyDir: null, name: "credential-socket" },
    g.caName === "GkeWorkloadCertificate"
      ? {
          name: "gke-workload-certificate",
          csi: { driver: "workloadcertificates.security.cloud.google.com" },
        }
      : { emptyDir: null, name: "workload-certs" },
  ];
  if (Object.hasOwn(ctx.annotations, A.bootstrapOverride)) {
    vols.push({
      name: "custom-bootstrap-volume",
      configMap: { name: ctx.annotations[A.bootstrapOverride] ?? "" },
    });
  }
  vols.push(
    { emptyDir: { medium: "Memory" }, name: "istio-envoy" },
    { name: "istio-data", emptyDir: {} },
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
              audience: g.sds.token.aud,
            },
          },
        ],
      },
    },
  );
  if (g.pilotCertProvider === "istiod") {
    vols.push({
      name: "istiod-ca-cert",
      configMap: { name: g.trustBundleName || "istio-ca-root-cert" },
    });
  }
  vols.push({
    name: "istio-ca-crl",
    configMap: { name: ctx.values.pilot.crlConfigMapName || "istio-ca-crl", optional: true },
  });
  if (g.mountMtlsCerts) {
    const sa = ctx.pod.spec.serviceAccountName;
    vols.push({
      name: "istio-certs",
      secret: { optional: true, secretName: sa ? `istio.${sa}` : "istio.default" },
    });
  }
  const user = ctx.annotations[A.userVolume];
  if (user !== undefined) {
    for (const [name, vol] of sortedEntries(user)) vols.push({ ...vol, name });
  }
  return vols;
}

/** `imagePullSecrets` from `values.global.imagePullSecrets`. */
export function templatePullSecrets(ctx: TemplateContext): JsonObject[] | undefined {
  const s = ctx.values.global.imagePullSecrets;
  return s.length ? s.map(name => ({ name })) : undefined;
}
