/**
 * The Kubernetes API server's defaults for the pod fields the sidecar template copies into
 * strings (`ISTIO_META_POD_PORTS`, `ISTIO_KUBE_APP_PROBERS`). The webhook sees a pod after the API
 * server has defaulted it; a manifest has not been, so `kube-inject` applies these first to give
 * the webhook's output byte for byte. Defaults from
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/apis/core/v1/defaults.go
 * (`SetDefaults_ContainerPort`, `SetDefaults_Probe`, `SetDefaults_HTTPGetAction`).
 */
import type { Container, PodSpec, Probe } from "./types";

function probe(p: Probe | undefined): Probe | undefined {
  if (!p) return p;
  const out: Probe = { ...p };
  out.timeoutSeconds ??= 1;
  out.periodSeconds ??= 10;
  out.successThreshold ??= 1;
  out.failureThreshold ??= 3;
  if (p.httpGet)
    out.httpGet = { ...p.httpGet, path: p.httpGet.path ?? "/", scheme: p.httpGet.scheme ?? "HTTP" };
  return out;
}

function container(c: Container): Container {
  const out: Container = { ...c };
  if (c.ports) out.ports = c.ports.map(p => ({ ...p, protocol: p.protocol ?? "TCP" }));
  for (const k of ["readinessProbe", "livenessProbe", "startupProbe"] as const) {
    if (c[k]) out[k] = probe(c[k]);
  }
  return out;
}

/** A copy of the pod spec with the API server's defaults for ports and probes filled in. */
export function withApiDefaults(spec: PodSpec): PodSpec {
  const out: PodSpec = { ...spec, containers: spec.containers.map(container) };
  if (spec.initContainers) out.initContainers = spec.initContainers.map(container);
  return out;
}
