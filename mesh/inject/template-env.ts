/**
 * The istio-proxy container's environment: the sidecar template's, in its order
 * (injection-template.yaml, `env:` of `istio-proxy`), and the pieces the gateway and grpc-agent
 * templates share. The CA address is Rigging's control-plane Service unless
 * `values.global.caAddress` says otherwise.
 */
import { A, L } from "./annotations";
import { renderProxyConfig } from "./proxy-config";
import type { TemplateContext } from "./template-context";
import type { ContainerPort, EnvVar } from "./types";

/** An env var from a pod field (downward API). */
export const field = (name: string, fieldPath: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});

/** An env var from a container resource (downward API, divisor 1). */
export const resource = (name: string, res: string): EnvVar => ({
  name,
  valueFrom: { resourceFieldRef: { resource: res, divisor: "1" } },
});

/** The pod identity every agent reads: its name, namespace, IP, ServiceAccount and node IP. */
export function podIdentityEnv(): EnvVar[] {
  return [
    field("POD_NAME", "metadata.name"),
    field("POD_NAMESPACE", "metadata.namespace"),
    field("INSTANCE_IP", "status.podIP"),
    field("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    field("HOST_IP", "status.hostIP"),
  ];
}

/** `ISTIO_META_WORKLOAD_NAME` (when there is a name) and `ISTIO_META_OWNER` (the workload's URI). */
export function workloadEnv(ctx: TemplateContext, workloadName: string): EnvVar[] {
  const w = ctx.workload;
  const env: EnvVar[] = [];
  if (workloadName) env.push({ name: "ISTIO_META_WORKLOAD_NAME", value: workloadName });
  if (w.apiVersion && w.name) {
    const ns = w.namespace || "default";
    env.push({
      name: "ISTIO_META_OWNER",
      value: `kubernetes://apis/${w.apiVersion}/namespaces/${ns}/${w.kind.toLowerCase()}s/${w.name}`,
    });
  }
  return env;
}

/** `ISTIO_META_MESH_ID` (mesh ID, else the trust domain) and `TRUST_DOMAIN`. */
export function meshIdentityEnv(ctx: TemplateContext): EnvVar[] {
  const g = ctx.values.global;
  const trustDomain = ctx.mesh.meshConfig.trustDomain || g.trustDomain || "";
  const env: EnvVar[] = [];
  if (g.meshID || trustDomain)
    env.push({ name: "ISTIO_META_MESH_ID", value: g.meshID || trustDomain });
  if (trustDomain) env.push({ name: "TRUST_DOMAIN", value: trustDomain });
  return env;
}

/** `proxyMetadata` of the effective ProxyConfig, as env vars in Go's sorted map order. */
export function proxyMetadataEnv(ctx: TemplateContext): EnvVar[] {
  const md = ctx.proxyConfig.proxyMetadata ?? {};
  return Object.keys(md)
    .sort()
    .map(k => ({ name: k, value: md[k] ?? "" }));
}

/** `COMPLIANCE_POLICY` (and Go's FIPS-only mode for fips-140-3), when the mesh sets one. */
export function complianceEnv(ctx: TemplateContext): EnvVar[] {
  const policy = ctx.mesh.compliancePolicy;
  if (!policy) return [];
  const env: EnvVar[] = [{ name: "COMPLIANCE_POLICY", value: policy }];
  if (policy === "fips-140-3") env.push({ name: "GODEBUG", value: "fips140=only" });
  return env;
}

/** The CA (and, for Rigging, xDS) address: `values.global.caAddress`, else our Service. */
export function caAddress(ctx: TemplateContext): string {
  return ctx.values.global.caAddress || ctx.mesh.discoveryAddress;
}

/** Go's `json.Marshal` of a ContainerPort: fields in struct order, zero values omitted. */
function portJSON(p: ContainerPort): string {
  const o: Record<string, unknown> = {};
  if (p.name) o.name = p.name;
  if (p.hostPort) o.hostPort = p.hostPort;
  o.containerPort = p.containerPort;
  if (p.protocol) o.protocol = p.protocol;
  if (p.hostIP) o.hostIP = p.hostIP;
  return JSON.stringify(o);
}

/** `ISTIO_META_POD_PORTS`: every container's ports, one JSON object a line, as the template prints. */
export function podPortsJSON(ctx: TemplateContext): string {
  const ports = ctx.pod.spec.containers.flatMap(c => c.ports ?? []);
  return `[${ports.map((p, i) => `\n    ${i ? "," : ""}${portJSON(p)}`).join("")}\n]`;
}

/** The environment of the sidecar template's istio-proxy container. */
export function proxyEnv(ctx: TemplateContext): EnvVar[] {
  const { values, mesh, proxyConfig: pc, labels, annotations, workload } = ctx;
  const g = values.global;
  const env: EnvVar[] = [];
  if (mesh.meshConfig.inboundTrafficPolicy?.mode === "LOCALHOST") {
    env.push({ name: "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", value: "true" });
  }
  env.push(
    { name: "PILOT_CERT_PROVIDER", value: g.pilotCertProvider },
    { name: "CA_ADDR", value: caAddress(ctx) },
    ...podIdentityEnv(),
    resource("ISTIO_CPU_LIMIT", "limits.cpu"),
    { name: "PROXY_CONFIG", value: renderProxyConfig(pc) },
    { name: "ISTIO_META_POD_PORTS", value: podPortsJSON(ctx) },
    { name: "ISTIO_META_APP_CONTAINERS", value: ctx.appContainers.join(",") },
    resource("GOMEMLIMIT", "limits.memory"),
    ...complianceEnv(ctx),
    { name: "ISTIO_META_CLUSTER_ID", value: g.multiCluster.clusterName || "Kubernetes" },
    field("ISTIO_META_NODE_NAME", "spec.nodeName"),
    {
      name: "ISTIO_META_INTERCEPTION_MODE",
      value: annotations[A.interceptionMode] || pc.interceptionMode || "REDIRECT",
    },
  );
  if (g.network) env.push({ name: "ISTIO_META_NETWORK", value: g.network });
  env.push(...workloadEnv(ctx, labels[L.workloadName] || workload.name));
  if (Object.hasOwn(annotations, A.bootstrapOverride)) {
    env.push({
      name: "ISTIO_BOOTSTRAP_OVERRIDE",
      value: "/etc/istio/custom-bootstrap/custom_bootstrap.json",
    });
  }
  env.push(...meshIdentityEnv(ctx));
  const datadog = annotations["apm.datadoghq.com/env"];
  if (g.proxy.tracer === "datadog" && datadog !== undefined) {
    try {
      const vars = JSON.parse(datadog) as Record<string, unknown>;
      for (const k of Object.keys(vars).sort()) env.push({ name: k, value: String(vars[k]) });
    } catch {
      // Istio's fromJSON logs and yields nothing usable; so do we.
    }
  }
  env.push(...proxyMetadataEnv(ctx));
  return env;
}
