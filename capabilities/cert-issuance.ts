import { a, Capability } from "pepr";
import {
  CONTROL_PLANE_NAMESPACE,
  PLUGIN_CA_SECRET,
  SELF_SIGNED_CA_SECRET,
} from "../control-plane/ca-secrets";
import {
  publishRootCertTo,
  reloadCa,
  repairRootCert,
  restoreRootCert,
} from "../control-plane/cert-issuance-handlers";
import { ROOT_CERT_CONFIGMAP } from "../control-plane/root-cert-configmaps";

/**
 * Certificate issuance: the mesh CA (Istio's plug-in `cacerts`, else a self-signed root kept in
 * `rigging-ca`) follows its Secrets, and every namespace carries the roots workloads trust in
 * ConfigMap `istio-ca-root-cert`. The CSR service itself runs on 15012 (`control-plane/start.ts`).
 */
export const CertIssuance = new Capability({
  name: "cert-issuance",
  description: "Runs the mesh CA and publishes its roots as istio-ca-root-cert in every namespace.",
});

const { When } = CertIssuance;

When(a.Namespace).IsCreatedOrUpdated().Watch(publishRootCertTo);

When(a.Secret)
  .IsCreatedOrUpdated()
  .InNamespace(CONTROL_PLANE_NAMESPACE)
  .WithName(PLUGIN_CA_SECRET)
  .Watch(reloadCa);
When(a.Secret)
  .IsDeleted()
  .InNamespace(CONTROL_PLANE_NAMESPACE)
  .WithName(PLUGIN_CA_SECRET)
  .Watch(reloadCa);
When(a.Secret)
  .IsCreatedOrUpdated()
  .InNamespace(CONTROL_PLANE_NAMESPACE)
  .WithName(SELF_SIGNED_CA_SECRET)
  .Watch(reloadCa);
When(a.Secret)
  .IsDeleted()
  .InNamespace(CONTROL_PLANE_NAMESPACE)
  .WithName(SELF_SIGNED_CA_SECRET)
  .Watch(reloadCa);

When(a.ConfigMap).IsUpdated().WithName(ROOT_CERT_CONFIGMAP).Watch(repairRootCert);
When(a.ConfigMap).IsDeleted().WithName(ROOT_CERT_CONFIGMAP).Watch(restoreRootCert);
