/**
 * Gateway: a load balancer at the edge of the mesh and the ports it exposes.
 * https://istio.io/latest/docs/reference/config/networking/gateway/
 */
import { GatewayPort } from "./common";
import { array, map, object, req, string, type Infer } from "./schema";
import { ServerTlsSettings } from "./tls";

/** One listener of a gateway. */
export const Server = object({
  bind: string(),
  defaultEndpoint: string(),
  hosts: req(array(string(), { description: "Hosts exposed by this gateway." })),
  name: string(),
  port: req(GatewayPort),
  tls: ServerTlsSettings,
});
/** @see Server */
export type Server = Infer<typeof Server>;

/** The Gateway spec. */
export const GatewaySpec = object(
  {
    selector: map(string(), {
      description: "Pods or VMs on which this gateway configuration is applied.",
    }),
    servers: array(Server),
  },
  {
    description:
      "Configuration affecting edge load balancer. See https://istio.io/docs/reference/config/networking/gateway.html",
  },
);
/** @see GatewaySpec */
export type GatewaySpec = Infer<typeof GatewaySpec>;
