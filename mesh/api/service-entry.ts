/**
 * ServiceEntry: adds entries (often external services) to Istio's service registry.
 * https://istio.io/latest/docs/reference/config/networking/service-entry/
 */
import { NetworkingWorkloadSelector } from "./common";
import { array, enumOf, object, req, string, uint32, type Infer } from "./schema";
import { WorkloadEntryShape } from "./workload-entry";

/** A port of the service entry. */
export const ServicePort = object({
  name: req(string({ maxLength: 256 })),
  number: req(uint32()),
  protocol: string({ maxLength: 256 }),
  targetPort: uint32(),
});
/** @see ServicePort */
export type ServicePort = Infer<typeof ServicePort>;

/** How the proxy resolves the addresses of the service's endpoints. */
export const Resolution = enumOf(["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"]);

/** The ServiceEntry spec. */
export const ServiceEntrySpec = object(
  {
    addresses: array(string({ maxLength: 64 }), { maxItems: 256 }),
    endpoints: array(WorkloadEntryShape, { maxItems: 4096 }),
    exportTo: array(string()),
    hosts: req(array(string(), { minItems: 1, maxItems: 256 })),
    location: enumOf(["MESH_EXTERNAL", "MESH_INTERNAL"]),
    ports: array(ServicePort, { maxItems: 256 }),
    resolution: Resolution,
    subjectAltNames: array(string()),
    workloadSelector: NetworkingWorkloadSelector,
  },
  {
    description:
      "Configuration affecting service registry. See https://istio.io/docs/reference/config/networking/service-entry.html",
  },
);
/** @see ServiceEntrySpec */
export type ServiceEntrySpec = Infer<typeof ServiceEntrySpec>;
