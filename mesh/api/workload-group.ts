/**
 * WorkloadGroup: a template for WorkloadEntries created by auto-registration, with a health probe.
 * https://istio.io/latest/docs/reference/config/networking/workload-group/
 */
import { array, int32, map, object, req, string, uint32, type Infer } from "./schema";
import { WorkloadEntryShape } from "./workload-entry";

/** How the agent checks a VM workload's readiness. */
export const ReadinessProbe = object(
  {
    exec: object({ command: req(array(string({ minLength: 1 }))) }),
    failureThreshold: int32({ minimum: 0 }),
    grpc: object({ port: uint32(), service: string() }),
    httpGet: object({
      host: string(),
      httpHeaders: array(
        object({ name: string({ pattern: "^[-_A-Za-z0-9]+$" }), value: string() }),
      ),
      path: string(),
      port: req(uint32()),
      scheme: string(),
    }),
    initialDelaySeconds: int32({ minimum: 0 }),
    periodSeconds: int32({ minimum: 0 }),
    successThreshold: int32({ minimum: 0 }),
    tcpSocket: object({ host: string(), port: req(uint32()) }),
    timeoutSeconds: int32({ minimum: 0 }),
  },
  { oneOf: [["httpGet", "tcpSocket", "exec", "grpc"]] },
);
/** @see ReadinessProbe */
export type ReadinessProbe = Infer<typeof ReadinessProbe>;

/** The WorkloadGroup spec. */
export const WorkloadGroupSpec = object(
  {
    metadata: object({
      annotations: map(string(), { maxProperties: 256 }),
      labels: map(string(), { maxProperties: 256 }),
    }),
    probe: ReadinessProbe,
    template: req(WorkloadEntryShape),
  },
  {
    description:
      "Describes a collection of workload instances. See https://istio.io/docs/reference/config/networking/workload-group.html",
  },
);
/** @see WorkloadGroupSpec */
export type WorkloadGroupSpec = Infer<typeof WorkloadGroupSpec>;
