import { a, Capability } from "pepr";
import type { StoreEvent, StoreObject } from "../mesh/store";
import { meshRuntime } from "../control-plane/instance";

/**
 * Route compilation: the cluster's Services, endpoints, pods and Istio traffic config, watched
 * into the mesh store that every connected proxy's xDS is compiled from.
 */
export const RouteCompilation = new Capability({
  name: "route-compilation",
  description:
    "Watches Services, endpoints, pods and Istio networking config and compiles each proxy's xDS.",
});

const { When } = RouteCompilation;

When(a.Namespace).IsCreatedOrUpdated().Watch(fold("Namespace"));
When(a.Namespace).IsDeleted().Watch(fold("Namespace"));
When(a.Service).IsCreatedOrUpdated().Watch(fold("Service"));
When(a.Service).IsDeleted().Watch(fold("Service"));
When(a.EndpointSlice).IsCreatedOrUpdated().Watch(fold("EndpointSlice"));
When(a.EndpointSlice).IsDeleted().Watch(fold("EndpointSlice"));
When(a.Pod).IsCreatedOrUpdated().Watch(fold("Pod"));
When(a.Pod).IsDeleted().Watch(fold("Pod"));

for (const kind of [
  "VirtualService",
  "DestinationRule",
  "Gateway",
  "ServiceEntry",
  "Sidecar",
  "WorkloadEntry",
]) {
  const gvk = { group: "networking.istio.io", version: "v1", kind };
  When(a.GenericKind, gvk).IsCreatedOrUpdated().Watch(fold(kind));
  When(a.GenericKind, gvk).IsDeleted().Watch(fold(kind));
}

/** A Watch callback that hands the event to the mesh runtime as a store event of `kind`. */
function fold(kind: string) {
  // Pepr passes kubernetes-fluent-client's WatchPhase, whose values are the watch API's names.
  return (object: object, phase: string) => {
    if (phase !== "ADDED" && phase !== "MODIFIED" && phase !== "DELETED") return;
    meshRuntime.apply({
      type: phase,
      object: { ...object, kind } as StoreObject,
    } satisfies StoreEvent);
  };
}
