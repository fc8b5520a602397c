/**
 * WorkloadEntry: a non-Kubernetes workload (a VM) as a mesh endpoint; also the shape of a
 * ServiceEntry endpoint and a WorkloadGroup template.
 * https://istio.io/latest/docs/reference/config/networking/workload-entry/
 */
import { map, object, string, uint32, type Infer } from "./schema";

const properties = {
  address: string({ maxLength: 256, description: "Address of the endpoint, without the port." }),
  labels: map(string(), { maxProperties: 256 }),
  locality: string({ maxLength: 2048 }),
  network: string({ maxLength: 2048 }),
  ports: map(uint32(), { maxProperties: 128, description: "Ports by service port name." }),
  serviceAccount: string({ maxLength: 253 }),
  weight: uint32(),
};

/** The WorkloadEntry spec. */
export const WorkloadEntrySpec = object(properties, {
  description:
    "Configuration affecting VMs onboarded into the mesh. See https://istio.io/docs/reference/config/networking/workload-entry.html",
});
/** @see WorkloadEntrySpec */
export type WorkloadEntrySpec = Infer<typeof WorkloadEntrySpec>;

/** A workload entry embedded in another kind (ServiceEntry endpoints, WorkloadGroup template). */
export const WorkloadEntryShape = object(properties);
