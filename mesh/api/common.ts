/**
 * Schema pieces shared by several Istio kinds. Field names and shapes follow istio.io/api
 * (https://istio.io/latest/docs/reference/config/networking/virtual-service/ and siblings).
 */
import { array, double, enumOf, map, object, req, string, uint32, type Infer } from "./schema";

/** Exact, prefix or RE2 regex match of a string; at most one is set. */
export const StringMatch = object(
  { exact: string(), prefix: string(), regex: string({ description: "RE2 style regex." }) },
  { oneOf: [["exact", "prefix", "regex"]] },
);
/** @see StringMatch */
export type StringMatch = Infer<typeof StringMatch>;

/** Selects a port of a destination service. */
export const PortSelector = object({ number: uint32({ description: "Valid port number." }) });
/** @see PortSelector */
export type PortSelector = Infer<typeof PortSelector>;

/** A service (and optionally a subset and port) that traffic is forwarded to. */
export const Destination = object({
  host: req(string({ description: "The name of a service from the service registry." })),
  port: PortSelector,
  subset: string({ description: "The name of a subset within the service." }),
});
/** @see Destination */
export type Destination = Infer<typeof Destination>;

/** A percentage in the range [0.0, 100.0]. */
export const Percent = object({ value: double() });
/** @see Percent */
export type Percent = Infer<typeof Percent>;

/** Header manipulations for one direction. */
export const HeaderOperations = object({
  add: map(string()),
  remove: array(string()),
  set: map(string()),
});
/** @see HeaderOperations */
export type HeaderOperations = Infer<typeof HeaderOperations>;

/** Request and response header manipulations. */
export const Headers = object({ request: HeaderOperations, response: HeaderOperations });
/** @see Headers */
export type Headers = Infer<typeof Headers>;

/** The networking API's workload selector (`labels`). */
export const NetworkingWorkloadSelector = object({
  labels: map(string({ maxLength: 63 }), {
    maxProperties: 256,
    description: "Labels of the pods or VMs the configuration applies to.",
  }),
});
/** @see NetworkingWorkloadSelector */
export type NetworkingWorkloadSelector = Infer<typeof NetworkingWorkloadSelector>;

/** The `istio.type.v1beta1.WorkloadSelector` (`matchLabels`), used by security kinds and DestinationRule. */
export const WorkloadSelector = object({
  matchLabels: map(string({ maxLength: 63 }), {
    maxProperties: 4096,
    description: "Labels of the pods or VMs the policy applies to.",
  }),
});
/** @see WorkloadSelector */
export type WorkloadSelector = Infer<typeof WorkloadSelector>;

/** A reference to the resource a policy attaches to (Gateway API policy attachment). */
export const PolicyTargetReference = object({
  group: string({
    maxLength: 253,
    pattern: "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
  }),
  kind: req(
    string({ minLength: 1, maxLength: 63, pattern: "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$" }),
  ),
  name: req(string({ minLength: 1, maxLength: 253 })),
  namespace: string(),
});
/** @see PolicyTargetReference */
export type PolicyTargetReference = Infer<typeof PolicyTargetReference>;

const portNumber = uint32({ description: "A valid non-negative integer port number." });
const portProtocol = string({ description: "HTTP|HTTPS|GRPC|GRPC-WEB|HTTP2|MONGO|TCP|TLS." });
const portName = string({ description: "Label assigned to the port." });

/** A port a Gateway server listens on: number, protocol and name are all required. */
export const GatewayPort = object({
  name: req(portName),
  number: req(portNumber),
  protocol: req(portProtocol),
  targetPort: uint32({ deprecated: true }),
});

/** A port a Sidecar listener binds; number 0 with a unix socket bind is allowed. */
export const SidecarPort = object({
  name: portName,
  number: portNumber,
  protocol: portProtocol,
  targetPort: uint32({ deprecated: true }),
});

/** Where a listener's traffic is captured from. */
export const CaptureMode = enumOf(["DEFAULT", "IPTABLES", "NONE"]);
/** @see CaptureMode */
export type CaptureMode = Infer<typeof CaptureMode>;
