/**
 * Hosts: the DNS names Istio routes by. cdk8s-plus Services and Deployments become the
 * cluster-local FQDN of their Service, which is what sidecars and proxyless gRPC clients
 * (`xds:///reviews.default.svc.cluster.local:9080`) resolve.
 */
import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import type { IConstruct } from "constructs";
import { checkNamespacedHost } from "../../mesh/validation/hosts";
import { propError } from "./errors";

/** Where traffic goes: a cdk8s-plus Service, a Deployment (exposed by a Service) or a host name. */
export type Backend = kplus.Service | kplus.Deployment | string;

/** The cluster DNS domain Kubernetes Services live under. */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** The namespace an object lands in: its own, its chart's, or `default` as kubectl assumes. */
export function namespaceOf(resource: IConstruct): string {
  // cdk8s-plus resources and ApiObjects both carry `metadata`; other constructs take the chart's.
  const own = (resource as { metadata?: { namespace?: string } }).metadata?.namespace;
  return own ?? Chart.of(resource).namespace ?? "default";
}

// One Service per Deployment however many routes name it: exposing twice would clash.
const exposed = new WeakMap<kplus.Deployment, kplus.Service>();

/** The Service of a backend; a Deployment is exposed through `exposeViaService()` once. */
export function serviceOf(backend: kplus.Service | kplus.Deployment): kplus.Service {
  if (backend instanceof kplus.Service) return backend;
  let service = exposed.get(backend);
  if (!service) exposed.set(backend, (service = backend.exposeViaService()));
  return service;
}

/** The host name Istio knows a backend by: `name.namespace.svc.<domain>` for Kubernetes ones. */
export function hostOf(backend: Backend, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  if (typeof backend === "string") return backend;
  const service = serviceOf(backend);
  return `${service.name}.${namespaceOf(service)}.svc.${clusterDomain}`;
}

/** The first port of a backend's Service, when it has one. */
export function portOf(backend: Backend): number | undefined {
  return typeof backend === "string" ? undefined : serviceOf(backend).ports[0]?.port;
}

/**
 * Throws unless `host` is a valid gateway host: a FQDN or a wildcard (`*`, `*.example.com`),
 * optionally behind `namespace/`. The rules are the Gateway validator's, checked up front so the
 * error names the prop.
 */
export function checkGatewayHost(scope: IConstruct, prop: string, host: string): void {
  const rules = checkNamespacedHost(host, true);
  if (rules.length > 0) {
    throw propError(
      scope,
      prop,
      `${JSON.stringify(host)} is not a valid FQDN or wildcard: ${rules.join("; ")}`,
    );
  }
}
