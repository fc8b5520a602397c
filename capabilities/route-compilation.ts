import { a, Capability } from "pepr";
import { KINDS, NETWORKING_GROUP, type KindName } from "../mesh/api";
import { applyMeshConfigMap } from "../control-plane/instance";
import { istiodNamespace } from "../control-plane/config";
import { MESH_CONFIGMAP } from "../mesh/meshconfig";
import { fold } from "./watch-into-mesh";

/**
 * Route compilation: the cluster's Services, endpoints, pods, TLS Secrets, Istio traffic config
 * and the mesh config, watched into the mesh store that every connected proxy's xDS is compiled from.
 */
export const RouteCompilation = new Capability({
  name: "route-compilation",
  description:
    "Watches Services, endpoints, pods, Istio networking config and the mesh config, and compiles each proxy's xDS.",
});

const { When } = RouteCompilation;

// MeshConfig: trust domains, extension providers and mesh-wide defaults for every compile.
When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .InNamespace(istiodNamespace(process.env))
  .WithName(MESH_CONFIGMAP)
  .Watch(applyMeshConfigMap);
When(a.ConfigMap)
  .IsDeleted()
  .InNamespace(istiodNamespace(process.env))
  .WithName(MESH_CONFIGMAP)
  .Watch(applyMeshConfigMap);

When(a.Namespace).IsCreatedOrUpdated().Watch(fold("Namespace"));
When(a.Namespace).IsDeleted().Watch(fold("Namespace"));
When(a.Service).IsCreatedOrUpdated().Watch(fold("Service"));
When(a.Service).IsDeleted().Watch(fold("Service"));
When(a.EndpointSlice).IsCreatedOrUpdated().Watch(fold("EndpointSlice"));
When(a.EndpointSlice).IsDeleted().Watch(fold("EndpointSlice"));
When(a.Pod).IsCreatedOrUpdated().Watch(fold("Pod"));
When(a.Pod).IsDeleted().Watch(fold("Pod"));
// Gateway `credentialName` certificates; the store keeps only Secrets with TLS keys.
When(a.Secret).IsCreatedOrUpdated().Watch(fold("Secret"));
When(a.Secret).IsDeleted().Watch(fold("Secret"));

for (const kind of [
  "VirtualService",
  "DestinationRule",
  "Gateway",
  "ServiceEntry",
  "Sidecar",
  "WorkloadEntry",
] satisfies KindName[]) {
  // The CRD's plural: Pepr would otherwise watch `<kind>s` (`serviceentrys`), which 404s.
  const gvk = { group: NETWORKING_GROUP, version: "v1", kind, plural: KINDS[kind].plural };
  When(a.GenericKind, gvk).IsCreatedOrUpdated().Watch(fold(kind));
  When(a.GenericKind, gvk).IsDeleted().Watch(fold(kind));
}
