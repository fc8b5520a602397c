/**
 * Istio's `grpc-agent` template (grpc-agent.yaml): proxyless gRPC with Istio's agent. pilot-agent
 * runs without Envoy (`DISABLE_ENVOY`), fetches the workload certificate, writes it and a gRPC
 * xDS bootstrap into shared volumes, and proxies xDS to the control plane; each app container
 * gets `GRPC_XDS_BOOTSTRAP` pointing at that bootstrap. No iptables: gRPC resolves `xds:///`
 * names itself. mTLS labels are left to the user, whose gRPC code must opt in to xDS credentials.
 */
import { A, PROXY } from "./annotations";
import { renderProxyConfig } from "./proxy-config";
import type { TemplatePod } from "./template";
import { agentArgs, agentMounts, positive } from "./template-agent";
import type { TemplateContext } from "./template-context";
import {
  caAddress,
  field,
  meshIdentityEnv,
  podIdentityEnv,
  podPortsJSON,
  proxyMetadataEnv,
  workloadEnv,
} from "./template-env";
import { proxyResources } from "./template-init";
import { canonicalLabels, revisionAnnotations } from "./template-metadata";
import { sortedEntries } from "./template-proxy";
import {
  customBootstrapVolumes,
  mtlsCertVolumes,
  podInfoAndTokenVolumes,
  rootCertVolumes,
  templatePullSecrets,
  userVolumes,
  workloadCertsVolume,
} from "./template-volumes";
import type { Container, EnvVar, JsonObject } from "./types";

/** Where the agent writes the gRPC bootstrap (in the `istio-xds` volume). */
export const GRPC_AGENT_BOOTSTRAP = "/etc/istio/proxy/grpc-bootstrap.json";

function agentEnv(ctx: TemplateContext): EnvVar[] {
  const g = ctx.values.global;
  const env: EnvVar[] = [
    { name: "ISTIO_META_GENERATOR", value: "grpc" },
    // The agent writes the certificate files gRPC's file_watcher provider reads.
    { name: "OUTPUT_CERTS", value: "/var/lib/istio/data" },
  ];
  if (ctx.mesh.meshConfig.inboundTrafficPolicy?.mode === "LOCALHOST") {
    env.push({ name: "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", value: "true" });
  }
  env.push(
    { name: "PILOT_CERT_PROVIDER", value: g.pilotCertProvider },
    { name: "CA_ADDR", value: caAddress(ctx) },
    ...podIdentityEnv(),
    { name: "PROXY_CONFIG", value: renderProxyConfig(ctx.proxyConfig) },
    { name: "ISTIO_META_POD_PORTS", value: podPortsJSON(ctx) },
    { name: "ISTIO_META_APP_CONTAINERS", value: ctx.appContainers.join(",") },
    { name: "ISTIO_META_CLUSTER_ID", value: g.multiCluster.clusterName || "Kubernetes" },
    field("ISTIO_META_NODE_NAME", "spec.nodeName"),
  );
  if (g.network) env.push({ name: "ISTIO_META_NETWORK", value: g.network });
  return [
    ...env,
    ...workloadEnv(ctx, ctx.workload.name),
    ...meshIdentityEnv(ctx),
    ...proxyMetadataEnv(ctx),
    // gRPC resolves xds:/// names itself; there is no VIP to capture and no Envoy to run.
    { name: "ISTIO_META_DNS_CAPTURE", value: "false" },
    { name: "DISABLE_ENVOY", value: "true" },
  ];
}

function agentContainer(ctx: TemplateContext): Container {
  const g = ctx.values.global;
  const p = g.proxy;
  const imageAnn = ctx.ann(A.proxyImage, p.image);
  const c: Container = {
    name: PROXY,
    image: imageAnn.includes("/") ? imageAnn : ctx.proxyImage,
    ports: [{ containerPort: 15020, protocol: "TCP", name: "mesh-metrics" }],
    args: agentArgs(ctx, "sidecar"),
    // The apps start once the agent has written the bootstrap and certificates.
    lifecycle: {
      postStart: {
        exec: { command: ["pilot-agent", "wait", "--url=http://localhost:15020/healthz/ready"] },
      },
    },
    env: agentEnv(ctx),
  };
  if (g.imagePullPolicy) c.imagePullPolicy = g.imagePullPolicy;
  // Status port 0 turns off the agent's health endpoint; the template then also leaves out
  // the resources and mounts that sit in the same block.
  if (ctx.statusPort === "0") return c;
  c.readinessProbe = {
    httpGet: { path: "/healthz/ready", port: 15020 },
    ...positive({
      initialDelaySeconds: Number(ctx.ann(A.readinessInitialDelay, p.readinessInitialDelaySeconds)),
      periodSeconds: Number(ctx.ann(A.readinessPeriod, p.readinessPeriodSeconds)),
      timeoutSeconds: 3,
      failureThreshold: Number(ctx.ann(A.readinessFailureThreshold, p.readinessFailureThreshold)),
    }),
  };
  c.resources = proxyResources(ctx) ?? null;
  const user = ctx.annotations[A.userVolumeMount];
  c.volumeMounts = [
    ...agentMounts(ctx, { credentialSocket: false, channel: "istio-xds" }),
    ...(user === undefined ? [] : sortedEntries(user).map(([name, m]) => ({ ...m, name }))),
  ];
  return c;
}

/** What each app container gets: the bootstrap, and the certificates the agent writes. */
function appContainer(ctx: TemplateContext, name: string): Container {
  const gke = ctx.values.global.caName === "GkeWorkloadCertificate";
  const certs: JsonObject = gke
    ? {
        name: "gke-workload-certificate",
        mountPath: "/var/run/secrets/workload-spiffe-credentials",
        readOnly: true,
      }
    : { mountPath: "/var/run/secrets/workload-spiffe-credentials", name: "workload-certs" };
  return {
    name,
    env: [
      { name: "GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT", value: "true" },
      { name: "GRPC_XDS_BOOTSTRAP", value: GRPC_AGENT_BOOTSTRAP },
    ],
    volumeMounts: [
      { mountPath: "/var/lib/istio/data", name: "istio-data" },
      { mountPath: "/etc/istio/proxy", name: "istio-xds" },
      certs,
    ],
  };
}

/** Renders the `grpc-agent` template. */
export function grpcAgentTemplate(ctx: TemplateContext): TemplatePod {
  const spec: TemplatePod["spec"] = {
    containers: [agentContainer(ctx), ...ctx.appContainers.map(n => appContainer(ctx, n))],
    volumes: [
      { emptyDir: null, name: "workload-socket" },
      workloadCertsVolume(ctx, null),
      ...customBootstrapVolumes(ctx),
      { emptyDir: { medium: "Memory" }, name: "istio-xds" },
      { name: "istio-data", emptyDir: {} },
      ...podInfoAndTokenVolumes(ctx),
      ...rootCertVolumes(ctx),
      ...mtlsCertVolumes(ctx),
      ...userVolumes(ctx),
    ],
  };
  const secrets = templatePullSecrets(ctx);
  if (secrets) spec.imagePullSecrets = secrets;
  return {
    metadata: {
      labels: canonicalLabels(ctx),
      annotations: { ...revisionAnnotations(ctx), [A.rewriteAppHTTPProbers]: "false" },
    },
    spec,
  };
}
