import type { StoreEvent, StoreObject } from "../mesh/store";
import { meshRuntime } from "../control-plane/instance";

/**
 * A Watch callback that hands the event to the mesh runtime as a store event of `kind`, shared
 * by the capabilities that feed the store. The binding's kind is stamped on so the store never
 * depends on the payload carrying one; the phase is kubernetes-fluent-client's WatchPhase, whose
 * values are the watch API's names.
 */
export function fold(kind: string) {
  return (object: object, phase: string) => {
    if (phase !== "ADDED" && phase !== "MODIFIED" && phase !== "DELETED") return;
    meshRuntime.apply({
      type: phase,
      object: { ...object, kind } as StoreObject,
    } satisfies StoreEvent);
  };
}
