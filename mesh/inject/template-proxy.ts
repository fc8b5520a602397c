/**
 * The `istio-proxy` container: image, args, lifecycle, probes, security context, resources and
 * mounts, as injection-template.yaml renders them.
 */
import { A, PROXY } from "./annotations";
import type { TemplateContext } from "./template-context";
import { proxyEnv } from "./template-env";
import { proxyResources } from "./template-init";
import type { Container, JsonObject } from "./types";

function lifecycle(ctx: TemplateContext): JsonObject | undefined {
  const custom = ctx.values.global.proxy.lifecycle;
  if (custom && Object.keys(custom).length) return custom;
  if (ctx.holdProxy) return { postStart: { exec: { command: ["pilot-agent", "wait"] } } };
  if (ctx.nativeSidecar) {
    // Start draining when the pod starts shutting down; SIGTERM follows once the apps are gone.
    return {
      preStop: {
        exec: {
          command: ["pilot-agent", "request", `--debug-port=${ctx.statusPort}`, "POST", "drain"],
        },
      },
    };
  }
  return undefined;
}

/** Go drops zero-valued int32 probe fields (omitempty). */
function probe(fields: Record<string, number>, extra: JsonObject): JsonObject {
  const out: JsonObject = { ...extra };
  for (const [k, v] of Object.entries(fields)) if (v) out[k] = v;
  return out;
}

function securityContext(ctx: TemplateContext): JsonObject {
  const p = ctx.values.global.proxy;
  let sc: JsonObject;
  if (ctx.proxyConfig.proxyMetadata?.IPTABLES_TRACE_LOGGING === "true") {
    sc = {
      allowPrivilegeEscalation: true,
      capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
      privileged: true,
      readOnlyRootFilesystem: true,
      runAsGroup: ctx.proxyGID,
      runAsNonRoot: false,
      runAsUser: 0,
    };
  } else {
    const add: string[] = [];
    if (ctx.tproxy) add.push("NET_ADMIN");
    if (ctx.capNetBindService) add.push("NET_BIND_SERVICE");
    const root = ctx.tproxy || ctx.capNetBindService;
    sc = {
      allowPrivilegeEscalation: p.privileged,
      capabilities: add.length ? { add, drop: ["ALL"] } : { drop: ["ALL"] },
      privileged: p.privileged,
      readOnlyRootFilesystem: true,
      ...(root
        ? { runAsNonRoot: false, runAsUser: 0, runAsGroup: 1337 }
        : { runAsNonRoot: true, runAsUser: ctx.proxyUID, runAsGroup: ctx.proxyGID }),
    };
  }
  if (p.seccompProfile && Object.keys(p.seccompProfile).length)
    sc.seccompProfile = p.seccompProfile;
  return sc;
}

function volumeMounts(ctx: TemplateContext): JsonObject[] {
  const g = ctx.values.global;
  const mounts: JsonObject[] = [
    { name: "workload-socket", mountPath: "/var/run/secrets/workload-spiffe-uds" },
    { name: "credential-socket", mountPath: "/var/run/secrets/credential-uds" },
    g.caName === "GkeWorkloadCertificate"
      ? {
          name: "gke-workload-certificate",
          mountPath: "/var/run/secrets/workload-spiffe-credentials",
          readOnly: true,
        }
      : { name: "workload-certs", mountPath: "/var/run/secrets/workload-spiffe-credentials" },
  ];
  if (g.pilotCertProvider === "istiod") {
    mounts.push(
      { mountPath: "/var/run/secrets/istio", name: "istiod-ca-cert" },
      { mountPath: "/var/run/secrets/istio/crl", name: "istio-ca-crl" },
    );
  }
  mounts.push({ mountPath: "/var/lib/istio/data", name: "istio-data" });
  if (Object.hasOwn(ctx.annotations, A.bootstrapOverride)) {
    mounts.push({ mountPath: "/etc/istio/custom-bootstrap", name: "custom-bootstrap-volume" });
  }
  mounts.push(
    { mountPath: "/etc/istio/proxy", name: "istio-envoy" },
    { mountPath: "/var/run/secrets/tokens", name: "istio-token" },
  );
  if (g.mountMtlsCerts)
    mounts.push({ mountPath: "/etc/certs/", name: "istio-certs", readOnly: true });
  mounts.push({ name: "istio-podinfo", mountPath: "/etc/istio/pod" });
  const user = ctx.annotations[A.userVolumeMount];
  if (user !== undefined) {
    for (const [name, mount] of sortedEntries(user)) mounts.push({ ...mount, name });
  }
  return mounts;
}

/** `fromJSON` of a `{name: object}` annotation, entries in Go's sorted map order. */
export function sortedEntries(json: string): [string, JsonObject][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return [];
  return Object.keys(parsed)
    .sort()
    .map(k => [k, (parsed as Record<string, JsonObject>)[k] ?? {}]);
}

/** The istio-proxy container the template renders. */
export function proxyContainer(ctx: TemplateContext): Container {
  const g = ctx.values.global;
  const p = g.proxy;
  const imageAnn = ctx.ann(A.proxyImage, p.image);
  const args = [
    "proxy",
    "sidecar",
    "--domain",
    `$(POD_NAMESPACE).svc.${p.clusterDomain}`,
    `--proxyLogLevel=${ctx.ann(A.logLevel, p.logLevel)}`,
    `--proxyComponentLogLevel=${ctx.ann(A.componentLogLevel, p.componentLogLevel)}`,
    `--log_output_level=${ctx.ann(A.agentLogLevel, g.logging.level)}`,
  ];
  if (g.sts.servicePort) args.push(`--stsPort=${g.sts.servicePort}`);
  if (g.logAsJson) args.push("--log_as_json");
  if (p.outlierLogPath) args.push(`--outlierLogPath=${p.outlierLogPath}`);
  const c: Container = {
    name: PROXY,
    image: imageAnn.includes("/") ? imageAnn : ctx.proxyImage,
    ports: [{ containerPort: 15090, protocol: "TCP", name: "http-envoy-prom" }],
    args,
  };
  if (ctx.nativeSidecar) c.restartPolicy = "Always";
  const lc = lifecycle(ctx);
  if (lc) c.lifecycle = lc;
  c.env = proxyEnv(ctx);
  if (g.imagePullPolicy) c.imagePullPolicy = g.imagePullPolicy;
  if (ctx.statusPort !== "0") {
    const get = { httpGet: { path: "/healthz/ready", port: 15021 } };
    if (p.startupProbe.enabled) {
      c.startupProbe = probe(
        { periodSeconds: 1, timeoutSeconds: 3, failureThreshold: p.startupProbe.failureThreshold },
        get,
      );
    }
    c.readinessProbe = probe(
      {
        initialDelaySeconds: Number(
          ctx.ann(A.readinessInitialDelay, p.readinessInitialDelaySeconds),
        ),
        periodSeconds: Number(ctx.ann(A.readinessPeriod, p.readinessPeriodSeconds)),
        timeoutSeconds: 3,
        failureThreshold: Number(ctx.ann(A.readinessFailureThreshold, p.readinessFailureThreshold)),
      },
      get,
    );
  }
  c.securityContext = securityContext(ctx);
  c.resources = proxyResources(ctx) ?? null;
  c.volumeMounts = volumeMounts(ctx);
  return c;
}
