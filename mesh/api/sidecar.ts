/**
 * Sidecar: narrows what a sidecar proxy listens on and which services it can reach.
 * https://istio.io/latest/docs/reference/config/networking/sidecar/
 */
import { CaptureMode, Destination, SidecarPort, NetworkingWorkloadSelector } from "./common";
import { array, enumOf, object, req, string, type Infer } from "./schema";
import { ServerTlsSettings } from "./tls";
import { ConnectionPoolSettings } from "./traffic-policy";

/** A listener for inbound traffic to the workload. */
export const IstioIngressListener = object({
  bind: string(),
  captureMode: CaptureMode,
  connectionPool: ConnectionPoolSettings,
  defaultEndpoint: string(),
  port: req(SidecarPort),
  tls: ServerTlsSettings,
});
/** @see IstioIngressListener */
export type IstioIngressListener = Infer<typeof IstioIngressListener>;

/** A listener for outbound traffic from the workload. */
export const IstioEgressListener = object({
  bind: string(),
  captureMode: CaptureMode,
  hosts: req(array(string(), { description: "namespace/dnsName entries the listener reaches." })),
  port: SidecarPort,
});
/** @see IstioEgressListener */
export type IstioEgressListener = Infer<typeof IstioEgressListener>;

/** The Sidecar spec. */
export const SidecarSpec = object(
  {
    egress: array(IstioEgressListener),
    inboundConnectionPool: ConnectionPoolSettings,
    ingress: array(IstioIngressListener),
    outboundTrafficPolicy: object({
      egressProxy: Destination,
      mode: enumOf(["REGISTRY_ONLY", "ALLOW_ANY"]),
    }),
    workloadSelector: NetworkingWorkloadSelector,
  },
  {
    description:
      "Configuration affecting network reachability of a sidecar. See https://istio.io/docs/reference/config/networking/sidecar.html",
  },
);
/** @see SidecarSpec */
export type SidecarSpec = Infer<typeof SidecarSpec>;
