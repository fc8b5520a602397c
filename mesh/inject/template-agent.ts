/**
 * Pieces of the istio-proxy container that the gateway and grpc-agent templates share: the
 * pilot-agent command line and the agent's mounts (certificates, root cert, token, pod info and
 * the channel to the proxy: Envoy's SDS socket dir, or the gRPC bootstrap dir).
 */
import { A } from "./annotations";
import type { TemplateContext } from "./template-context";
import type { JsonObject } from "./types";

/** `pilot-agent proxy <mode>` with the domain and log levels (annotations over values). */
export function agentArgs(ctx: TemplateContext, mode: "router" | "sidecar"): string[] {
  const g = ctx.values.global;
  const p = g.proxy;
  const args = [
    "proxy",
    mode,
    "--domain",
    `$(POD_NAMESPACE).svc.${p.clusterDomain}`,
    `--proxyLogLevel=${ctx.ann(A.logLevel, p.logLevel)}`,
    `--proxyComponentLogLevel=${ctx.ann(A.componentLogLevel, p.componentLogLevel)}`,
    `--log_output_level=${ctx.ann(A.agentLogLevel, g.logging.level)}`,
  ];
  if (g.sts.servicePort) args.push(`--stsPort=${g.sts.servicePort}`);
  if (g.logAsJson) args.push("--log_as_json");
  return args;
}

/** Go drops zero-valued int32 probe fields (`omitempty`). */
export function positive(fields: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(fields)) if (v) out[k] = v;
  return out;
}

/** Which of the optional mounts a template has. */
export interface AgentMountOptions {
  /** The credential-name socket (gateways fetch credentials by name). */
  readonly credentialSocket: boolean;
  /** Where the agent talks to its proxy: Envoy's `istio-envoy`, or gRPC's `istio-xds`. */
  readonly channel: "istio-envoy" | "istio-xds";
}

/** The agent's volume mounts, in the template's order. */
export function agentMounts(ctx: TemplateContext, o: AgentMountOptions): JsonObject[] {
  const g = ctx.values.global;
  const mounts: JsonObject[] = [
    { name: "workload-socket", mountPath: "/var/run/secrets/workload-spiffe-uds" },
  ];
  if (o.credentialSocket) {
    mounts.push({ name: "credential-socket", mountPath: "/var/run/secrets/credential-uds" });
  }
  mounts.push(
    g.caName === "GkeWorkloadCertificate"
      ? {
          name: "gke-workload-certificate",
          mountPath: "/var/run/secrets/workload-spiffe-credentials",
          readOnly: true,
        }
      : { name: "workload-certs", mountPath: "/var/run/secrets/workload-spiffe-credentials" },
  );
  if (g.pilotCertProvider === "istiod") {
    mounts.push({ mountPath: "/var/run/secrets/istio", name: "istiod-ca-cert" });
  }
  mounts.push({ mountPath: "/var/lib/istio/data", name: "istio-data" });
  // Only the Envoy gateway reads a custom bootstrap; grpc-agent has the volume but no mount.
  if (o.channel === "istio-envoy" && Object.hasOwn(ctx.annotations, A.bootstrapOverride)) {
    mounts.push({ mountPath: "/etc/istio/custom-bootstrap", name: "custom-bootstrap-volume" });
  }
  mounts.push(
    { mountPath: "/etc/istio/proxy", name: o.channel },
    { mountPath: "/var/run/secrets/tokens", name: "istio-token" },
  );
  if (g.mountMtlsCerts)
    mounts.push({ mountPath: "/etc/certs/", name: "istio-certs", readOnly: true });
  mounts.push({ name: "istio-podinfo", mountPath: "/etc/istio/pod" });
  return mounts;
}
