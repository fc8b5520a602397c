/**
 * The cluster a telemetry collector (tracer, OpenTelemetry log service) is reached through:
 * Istio's `outbound|<port>||<host>` of the service the provider names, `<namespace>/<host>` or
 * `<host>`. A service the proxy cannot see has no such cluster, so the provider is skipped (Istio
 * logs "could not find cluster" and does the same).
 */
import type { CollectorService } from "../../../mesh/meshconfig/telemetry-providers";
import { clusterName } from "../shared/xds-util";

/** Whether the proxy sees a service of this FQDN. */
export type ServiceLookup = (host: string) => boolean;

/** The collector's cluster and host, or why there is none. */
export function collectorCluster(
  p: CollectorService & { readonly name: string },
  lookup: ServiceLookup,
): { cluster: string; host: string } | string {
  const host = p.service.includes("/") ? p.service.slice(p.service.indexOf("/") + 1) : p.service;
  if (!lookup(host))
    return `provider "${p.name}": service ${host} is not known to this proxy; left out`;
  return { cluster: clusterName("outbound", p.port, "", host), host };
}
