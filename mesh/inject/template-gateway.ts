/**
 * Istio's `gateway` template (gateway-injection-template.yaml): the pod becomes an Envoy gateway
 * (`pilot-agent proxy router`). It is what Istio's gateway Helm chart relies on: a Deployment
 * whose only container is `istio-proxy` with `image: auto`, annotated
 * `inject.istio.io/templates: gateway`. No iptables, no sidecar: the proxy is the workload, and
 * binding ports below 1024 is allowed through the `ip_unprivileged_port_start` sysctl.
 */
import { A, PROXY } from "./annotations";
import { renderProxyConfig } from "./proxy-config";
import type { TemplatePod } from "./template";
import type { TemplateContext } from "./template-context";
import {
  caAddress,
  complianceEnv,
  field,
  meshIdentityEnv,
  podIdentityEnv,
  podPortsJSON,
  proxyMetadataEnv,
  resource,
  workloadEnv,
} from "./template-env";
import { canonicalLabels, revisionAnnotations } from "./template-metadata";
import { agentArgs, agentMounts, positive } from "./template-agent";
import {
  customBootstrapVolumes,
  mtlsCertVolumes,
  podInfoAndTokenVolumes,
  rootCertVolumes,
  templatePullSecrets,
  workloadCertsVolume,
} from "./template-volumes";
import type { Container, EnvVar, JsonObject } from "./types";

/** Lets Envoy, running as 1337, listen on 80 and 443 without NET_BIND_SERVICE. */
const UNPRIVILEGED_PORTS: JsonObject = {
  sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
};

function gatewayEnv(ctx: TemplateContext): EnvVar[] {
  const g = ctx.values.global;
  const env: EnvVar[] = [
    { name: "PILOT_CERT_PROVIDER", value: g.pilotCertProvider },
    { name: "CA_ADDR", value: caAddress(ctx) },
    ...podIdentityEnv(),
    resource("ISTIO_CPU_LIMIT", "limits.cpu"),
    { name: "PROXY_CONFIG", value: renderProxyConfig(ctx.proxyConfig) },
    { name: "ISTIO_META_POD_PORTS", value: podPortsJSON(ctx) },
    resource("GOMEMLIMIT", "limits.memory"),
    ...complianceEnv(ctx),
    { name: "ISTIO_META_APP_CONTAINERS", value: ctx.appContainers.join(",") },
    { name: "ISTIO_META_CLUSTER_ID", value: g.multiCluster.clusterName || "Kubernetes" },
    field("ISTIO_META_NODE_NAME", "spec.nodeName"),
    // The gateway template reads the ProxyConfig only, not the interceptionMode annotation.
    { name: "ISTIO_META_INTERCEPTION_MODE", value: ctx.proxyConfig.interceptionMode || "REDIRECT" },
  ];
  if (g.network) env.push({ name: "ISTIO_META_NETWORK", value: g.network });
  env.push(...workloadEnv(ctx, ctx.workload.name));
  if (Object.hasOwn(ctx.annotations, A.bootstrapOverride)) {
    env.push({
      name: "ISTIO_BOOTSTRAP_OVERRIDE",
      value: "/etc/istio/custom-bootstrap/custom_bootstrap.json",
    });
  }
  return [...env, ...meshIdentityEnv(ctx), ...proxyMetadataEnv(ctx)];
}

function gatewayProxy(ctx: TemplateContext): Container {
  const g = ctx.values.global;
  const p = g.proxy;
  const imageAnn = ctx.ann(A.proxyImage, p.image);
  const c: Container = {
    name: PROXY,
    image: imageAnn.includes("/") ? imageAnn : ctx.proxyImage,
    ports: [{ containerPort: 15090, protocol: "TCP", name: "http-envoy-prom" }],
    args: agentArgs(ctx, "router"),
    securityContext: { runAsUser: ctx.proxyUID, runAsGroup: ctx.proxyGID },
    env: gatewayEnv(ctx),
    readinessProbe: {
      httpGet: { path: "/healthz/ready", port: 15021 },
      ...positive({
        initialDelaySeconds: p.readinessInitialDelaySeconds,
        periodSeconds: p.readinessPeriodSeconds,
        timeoutSeconds: 3,
        failureThreshold: p.readinessFailureThreshold,
      }),
    },
    volumeMounts: agentMounts(ctx, { credentialSocket: true, channel: "istio-envoy" }),
  };
  if (p.lifecycle && Object.keys(p.lifecycle).length) c.lifecycle = p.lifecycle;
  if (g.imagePullPolicy) c.imagePullPolicy = g.imagePullPolicy;
  return c;
}

/** Renders the `gateway` template. */
export function gatewayTemplate(ctx: TemplateContext): TemplatePod {
  const custom = ctx.values.gateways?.securityContext;
  const spec: TemplatePod["spec"] = {
    securityContext: custom && Object.keys(custom).length ? custom : UNPRIVILEGED_PORTS,
    containers: [gatewayProxy(ctx)],
    volumes: [
      { emptyDir: null, name: "workload-socket" },
      { emptyDir: {}, name: "credential-socket" },
      workloadCertsVolume(ctx, {}),
      ...customBootstrapVolumes(ctx),
      { emptyDir: { medium: "Memory" }, name: "istio-envoy" },
      { name: "istio-data", emptyDir: {} },
      ...podInfoAndTokenVolumes(ctx),
      ...rootCertVolumes(ctx),
      ...mtlsCertVolumes(ctx),
    ],
  };
  const secrets = templatePullSecrets(ctx);
  if (secrets) spec.imagePullSecrets = secrets;
  return {
    metadata: { labels: canonicalLabels(ctx), annotations: revisionAnnotations(ctx) },
    spec,
  };
}
