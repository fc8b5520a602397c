import { K8s, kind } from "kubernetes-fluent-client";
import { meshCa, rootCertPublisher } from "./instance";
import { isActiveNamespace, ROOT_CERT_KEY } from "./root-cert-configmaps";

/**
 * What the `cert-issuance` capability's watches call: each bootstraps the CA on first use (the
 * load is shared and happens once) and then does one thing.
 */

/** A namespace appeared or changed: it gets the current `istio-ca-root-cert`. */
export async function publishRootCertTo(ns: kind.Namespace): Promise<void> {
  if (!isActiveNamespace(ns)) return;
  await meshCa.bootstrap();
  await rootCertPublisher.publishTo(ns.metadata!.name!);
}

/**
 * A CA Secret (`cacerts` or `rigging-ca`) was created, changed or deleted: reload. A refused
 * Secret leaves the previous authority in service; a new root reaches every namespace through
 * the CA's change listener (wired in `start.ts`).
 */
export async function reloadCa(): Promise<void> {
  await meshCa.bootstrap();
  await meshCa.reload();
}

/** Someone edited `istio-ca-root-cert`: put the current bundle back if it differs. */
export async function repairRootCert(cm: kind.ConfigMap): Promise<void> {
  const namespace = cm.metadata?.namespace;
  if (!namespace) return;
  await meshCa.bootstrap();
  await rootCertPublisher.repair(namespace, cm.data?.[ROOT_CERT_KEY]);
}

/** Someone deleted `istio-ca-root-cert`: recreate it unless its namespace is going away. */
export async function restoreRootCert(cm: kind.ConfigMap): Promise<void> {
  const namespace = cm.metadata?.namespace;
  if (!namespace) return;
  const ns = await K8s(kind.Namespace)
    .Get(namespace)
    .catch(() => undefined);
  if (!ns || !isActiveNamespace(ns)) return;
  await meshCa.bootstrap();
  await rootCertPublisher.publishTo(namespace);
}
