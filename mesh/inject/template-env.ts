/**
 * The istio-proxy container's environment, in the template's order
 * (injection-template.yaml, `env:` of `istio-proxy`). The CA address is Rigging's control-plane
 * Service unless `values.global.caAddress` says otherwise.
 */
import { A, L } from "./annotations";
import { renderProxyConfig } from "./proxy-config";
import type { TemplateContext } from "./template-context";
import type { ContainerPort, EnvVar } from "./types";

const field = (name: string, fieldPath: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});
const resource = (name: string, res: string): EnvVar => ({
  name,
  valueFrom: { resourceFieldRef: { resource: res, divisor: "1" } },
});

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

/** The environment of the istio-proxy container. */
export function proxyEnv(ctx: TemplateContext): EnvVar[] {
  const { values, mesh, proxyConfig: pc, labels, annotations, workload } = ctx;
  const g = values.global;
  const env: EnvVar[] = [];
  if (mesh.meshConfig.inboundTrafficPolicy?.mode === "LOCALHOST") {
    env.push({ name: "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", value: "true" });
  }
  env.push(
    { name: "PILOT_CERT_PROVIDER", value: g.pilotCertProvider },
    { name: "CA_ADDR", value: g.caAddress || mesh.discoveryAddress },
    field("POD_NAME", "metadata.name"),
    field("POD_NAMESPACE", "metadata.namespace"),
    field("INSTANCE_IP", "status.podIP"),
    field("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    field("HOST_IP", "status.hostIP"),
    resource("ISTIO_CPU_LIMIT", "limits.cpu"),
    { name: "PROXY_CONFIG", value: renderProxyConfig(pc) },
    { name: "ISTIO_META_POD_PORTS", value: podPortsJSON(ctx) },
    { name: "ISTIO_META_APP_CONTAINERS", value: ctx.appContainers.join(",") },
    resource("GOMEMLIMIT", "limits.memory"),
  );
  if (mesh.compliancePolicy) {
    env.push({ name: "COMPLIANCE_POLICY", value: mesh.compliancePolicy });
    if (mesh.compliancePolicy === "fips-140-3")
      env.push({ name: "GODEBUG", value: "fips140=only" });
  }
  env.push(
    { name: "ISTIO_META_CLUSTER_ID", value: g.multiCluster.clusterName || "Kubernetes" },
    field("ISTIO_META_NODE_NAME", "spec.nodeName"),
    {
      name: "ISTIO_META_INTERCEPTION_MODE",
      value: annotations[A.interceptionMode] || pc.interceptionMode || "REDIRECT",
    },
  );
  if (g.network) env.push({ name: "ISTIO_META_NETWORK", value: g.network });
  const workloadName = labels[L.workloadName] || workload.name;
  if (workloadName) env.push({ name: "ISTIO_META_WORKLOAD_NAME", value: workloadName });
  if (workload.apiVersion && workload.name) {
    const ns = workload.namespace || "default";
    env.push({
      name: "ISTIO_META_OWNER",
      value: `kubernetes://apis/${workload.apiVersion}/namespaces/${ns}/${workload.kind.toLowerCase()}s/${workload.name}`,
    });
  }
  if (Object.hasOwn(annotations, A.bootstrapOverride)) {
    env.push({
      name: "ISTIO_BOOTSTRAP_OVERRIDE",
      value: "/etc/istio/custom-bootstrap/custom_bootstrap.json",
    });
  }
  const trustDomain = mesh.meshConfig.trustDomain || g.trustDomain || "";
  if (g.meshID || trustDomain)
    env.push({ name: "ISTIO_META_MESH_ID", value: g.meshID || trustDomain });
  if (trustDomain) env.push({ name: "TRUST_DOMAIN", value: trustDomain });
  const datadog = annotations["apm.datadoghq.com/env"];
  if (g.proxy.tracer === "datadog" && datadog !== undefined) {
    try {
      const vars = JSON.parse(datadog) as Record<string, unknown>;
      for (const k of Object.keys(vars).sort()) env.push({ name: k, value: String(vars[k]) });
    } catch {
      // Istio's fromJSON logs and yields nothing usable; so do we.
    }
  }
  const md = pc.proxyMetadata ?? {};
  for (const k of Object.keys(md).sort()) env.push({ name: k, value: md[k] ?? "" });
  return env;
}
