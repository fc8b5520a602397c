/**
 * What TLS an Envoy sidecar's or gateway's outbound cluster originates, decided as Istio
 * decides it, before any Envoy message is written (`upstream-tls.ts` writes them):
 *
 * - a DestinationRule `tls` block (subset > port-level > rule, `cluster-tls-setting.ts`) wins:
 *   DISABLE → plaintext; ISTIO_MUTUAL → mesh certificates, the destination's identities;
 *   SIMPLE/MUTUAL → the server verified against `caCertificates` (else the system roots) or a
 *   gateway's `credentialName`, MUTUAL presenting `clientCertificate`/`privateKey` or the
 *   credential;
 * - with none, auto-mTLS: mTLS to endpoints that carry mesh certificates, plaintext to the
 *   others — unless the service is MESH_EXTERNAL or its namespace's PeerAuthentication is
 *   DISABLE.
 *
 * Where Istio silently falls back to plaintext (MUTUAL without a client certificate, a
 * sidecar's `credentialName`), the cluster here fails closed instead: it keeps no endpoints,
 * and the reason is reported.
 *
 * @see istio/istio pilot/pkg/networking/core/cluster_tls.go (buildUpstreamTLSSettings,
 *   buildUpstreamClusterTLSContext, constructUpstreamTLS)
 * @see istio/istio pilot/pkg/model/push_context.go (BestEffortInferServiceMTLSMode)
 */
import { endpointsOf, isHttpProtocol } from "../../../mesh/store";
import { workloadEffectiveMtls } from "../../../mesh/authn/workload-mtls";
import type { OutboundCluster } from "./clusters";
import { clusterTlsSetting, settingMessage, type ClusterTlsSetting } from "./cluster-tls-setting";
import {
  CA_SUFFIX,
  KUBERNETES_PREFIX,
  kubernetesSecretName,
  originationCredentials,
} from "./upstream-credentials";
import { serviceIdentities } from "./upstream-mtls";
import type { ProxyScope } from "../scope";
import { endpointTlsMode } from "../security/workload-security";
import type { SecretResource } from "../shared/envoy";

/** An SDS secret a TLS context loads: from the istio-agent, or (credentialName) over ADS. */
export interface SdsRef {
  readonly name: string;
  readonly ads: boolean;
}

/** The TLS an outbound cluster originates. */
export type UpstreamTlsPlan =
  | { readonly kind: "plaintext" }
  | {
      readonly kind: "istio-mutual";
      /** Auto-mTLS: per endpoint, by its `tlsMode` metadata (else every connection). */
      readonly auto: boolean;
      readonly sans: readonly string[];
      readonly sni: string;
    }
  | {
      readonly kind: "originate";
      readonly sni?: string;
      readonly sans: readonly string[];
      /** The client certificate (MUTUAL). */
      readonly certificate?: SdsRef;
      /** The CA the server is verified against; absent with `insecureSkipVerify`. */
      readonly root?: SdsRef;
      readonly crl?: string;
      /** Envoy takes SNI from the request's host, and checks the certificate against it. */
      readonly autoSni: boolean;
      readonly autoSanValidation: boolean;
      /** Not wrong, but worth a warning (e.g. no server name is checked). */
      readonly notes: readonly string[];
      /** The Secret resources it loads over ADS (a gateway's credentialName). */
      readonly secrets: readonly SecretResource[];
    }
  | { readonly kind: "fail-closed"; readonly problem: string };

/** Istio's SNI for mesh traffic: `outbound_.<port>_.<subset>_.<host>` (DNS SRV form). */
export function meshSni(c: OutboundCluster): string {
  return `outbound_.${c.port.port}_.${c.subset ?? ""}_.${c.service.hostname}`;
}

/** Whether the cluster goes to the original destination (a headless or passthrough service). */
export function isOriginalDst(c: OutboundCluster): boolean {
  return !c.eds && c.service.resolution !== "DNS" && c.service.resolution !== "DNS_ROUND_ROBIN";
}

/**
 * Istio's BestEffortInferServiceMTLSMode, as auto-mTLS reads it (when MeshConfig
 * `enableAutoMtls` leaves it on): no mTLS to MESH_EXTERNAL
 * services, nor to a namespace (or mesh) whose PeerAuthentication is DISABLE; to passthrough
 * services only when no endpoint's TLS mode is `disabled` (`endpointTlsMode`: its tlsMode
 * label, or a WorkloadEntry's service account), as one connection cannot choose per endpoint.
 */
function autoMtlsApplies(scope: ProxyScope, c: OutboundCluster): boolean {
  if (!scope.mesh.enableAutoMtls || c.service.meshExternal) return false;
  const ns = { namespace: c.service.namespace, labels: {} };
  if (workloadEffectiveMtls(scope.store, ns, scope.mesh.rootNamespace).mode === "DISABLE")
    return false;
  if (!isOriginalDst(c)) return true;
  const endpoints = endpointsOf(scope.store, c.service, c.port);
  // Istio disables it when any endpoint's TLS mode is `disabled` (unset here).
  return (
    endpoints.length > 0 && endpoints.every(e => (endpointTlsMode(e) ?? "disabled") !== "disabled")
  );
}

const closedMessage = (c: OutboundCluster, why: string) =>
  `${why}; cluster ${c.name} fails closed (no endpoints)`;

const failClosed = (c: OutboundCluster, why: string): UpstreamTlsPlan => ({
  kind: "fail-closed",
  problem: closedMessage(c, why),
});

/** The certificates an origination loads, and the ADS Secrets behind them. */
interface OriginationRefs {
  readonly cert?: SdsRef;
  readonly root?: SdsRef;
  readonly secrets?: readonly SecretResource[];
}

/** SIMPLE or MUTUAL with a gateway's credentialName. */
function credentialPlan(
  scope: ProxyScope,
  c: OutboundCluster,
  s: ClusterTlsSetting,
): OriginationRefs | UpstreamTlsPlan {
  const given = s.tls.credentialName ?? "";
  const at = (rule: string) => settingMessage(s, "credentialName", rule);
  if (scope.proxy.kind !== "router")
    return failClosed(c, at(`${JSON.stringify(given)} is honoured only on gateways`));
  const name = kubernetesSecretName(given);
  if (!name)
    return failClosed(c, at(`${JSON.stringify(given)}: only Kubernetes Secrets are supported`));
  const mutual = s.mode === "MUTUAL";
  const verify = !s.tls.insecureSkipVerify;
  const secrets: SecretResource[] = [];
  for (const need of originationCredentials(scope, name, mutual, verify)) {
    if ("problem" in need) return failClosed(c, at(`${JSON.stringify(given)}: ${need.problem}`));
    secrets.push(need.resource);
  }
  const secret = (n: string): SdsRef => ({ name: `${KUBERNETES_PREFIX}${n}`, ads: true });
  return {
    ...(mutual ? { cert: secret(name) } : {}),
    ...(verify ? { root: secret(`${name}${CA_SUFFIX}`) } : {}),
    secrets,
  };
}

/** SIMPLE or MUTUAL with files on the proxy, read by the istio-agent's SDS server. */
function filePlan(c: OutboundCluster, s: ClusterTlsSetting): OriginationRefs | UpstreamTlsPlan {
  const { tls } = s;
  const agent = (name: string): SdsRef => ({ name, ads: false });
  let cert: SdsRef | undefined;
  if (s.mode === "MUTUAL") {
    if (!tls.clientCertificate || !tls.privateKey)
      return failClosed(
        c,
        settingMessage(s, "clientCertificate", "MUTUAL needs clientCertificate and privateKey"),
      );
    cert = agent(`file-cert:${tls.clientCertificate}~${tls.privateKey}`);
  }
  // Without caCertificates Istio verifies against the system roots (`file-root:system`).
  const root = tls.insecureSkipVerify
    ? undefined
    : agent(`file-root:${tls.caCertificates || "system"}`);
  return { ...(cert ? { cert } : {}), ...(root ? { root } : {}) };
}

function originationPlan(
  scope: ProxyScope,
  c: OutboundCluster,
  s: ClusterTlsSetting,
): UpstreamTlsPlan {
  const { tls } = s;
  const refs = tls.credentialName ? credentialPlan(scope, c, s) : filePlan(c, s);
  if ("kind" in refs) return refs;
  const own = tls.subjectAltNames ?? [];
  // A ServiceEntry's subjectAltNames stand in for the rule's (Istio: External registry only).
  const sans =
    own.length > 0 || c.service.sourceKind !== "ServiceEntry" ? own : serviceIdentities(scope, c);
  const autoSni = !tls.sni;
  const autoSanValidation = autoSni && own.length === 0 && !tls.insecureSkipVerify;
  const notes: string[] = [];
  if (!tls.sni && sans.length === 0 && !tls.insecureSkipVerify && !isHttpProtocol(c.port.protocol))
    notes.push(
      settingMessage(
        s,
        "mode",
        `${s.mode} to ${c.service.hostname}:${c.port.port} (${c.port.protocol}) checks no server name: set sni or subjectAltNames`,
      ),
    );
  return {
    kind: "originate",
    ...(tls.sni ? { sni: tls.sni } : {}),
    sans,
    ...(refs.cert ? { certificate: refs.cert } : {}),
    ...(refs.root ? { root: refs.root } : {}),
    ...(tls.caCrl && refs.root && !refs.root.ads ? { crl: tls.caCrl } : {}),
    autoSni,
    autoSanValidation,
    notes,
    secrets: refs.secrets ?? [],
  };
}

/** The TLS plan of an Envoy (sidecar or gateway) outbound cluster. */
export function envoyUpstreamTlsPlan(scope: ProxyScope, c: OutboundCluster): UpstreamTlsPlan {
  // One compile asks for a cluster's plan several times (its report, its Cluster, its Secrets);
  // the scope is an immutable snapshot, so the answer is kept per scope and cluster name.
  let plans = planCache.get(scope);
  if (!plans) planCache.set(scope, (plans = new Map()));
  let plan = plans.get(c.name);
  if (!plan) plans.set(c.name, (plan = computePlan(scope, c)));
  return plan;
}

const planCache = new WeakMap<ProxyScope, Map<string, UpstreamTlsPlan>>();

function computePlan(scope: ProxyScope, c: OutboundCluster): UpstreamTlsPlan {
  const s = clusterTlsSetting(scope.destinationRule(c.service.hostname), c.port.port, c.subset);
  if (!s) {
    if (!autoMtlsApplies(scope, c)) return { kind: "plaintext" };
    return { kind: "istio-mutual", auto: true, sans: serviceIdentities(scope, c), sni: meshSni(c) };
  }
  switch (s.mode) {
    case "DISABLE":
      return { kind: "plaintext" };
    case "ISTIO_MUTUAL": {
      const own = s.tls.subjectAltNames ?? [];
      return {
        kind: "istio-mutual",
        auto: false,
        sans: own.length > 0 ? own : serviceIdentities(scope, c),
        sni: s.tls.sni || meshSni(c),
      };
    }
    default:
      return originationPlan(scope, c, s);
  }
}

/**
 * Why a proxyless gRPC cluster must fail closed, if it must. grpc-js-xds takes certificates only
 * from the bootstrap's certificate provider instances, which hold the mesh identity, so
 * SIMPLE and MUTUAL (a CA file, client files, a credentialName) cannot be honoured; Istio's
 * grpcgen leaves such clusters plaintext (a TODO there), which would send in the clear what the
 * rule asked to encrypt.
 *
 * @see istio/istio pilot/pkg/networking/grpcgen/cds.go (applyTLS)
 */
export function grpcTlsProblem(scope: ProxyScope, c: OutboundCluster): string | undefined {
  const s = clusterTlsSetting(scope.destinationRule(c.service.hostname), c.port.port, c.subset);
  if (s?.mode !== "SIMPLE" && s?.mode !== "MUTUAL") return undefined;
  const why = `${s.mode} is not supported for proxyless gRPC (only ISTIO_MUTUAL and DISABLE are)`;
  return closedMessage(c, settingMessage(s, "mode", why));
}

/** What a cluster's TLS plan leaves to report: why it fails closed, or notes on it. */
export interface UpstreamTlsReport {
  readonly failClosed?: string;
  readonly notes?: readonly string[];
}

/** The report of one cluster (what `OutboundCluster.failClosed` and `notes` hold). */
export function upstreamTlsReport(scope: ProxyScope, c: OutboundCluster): UpstreamTlsReport {
  if (scope.proxy.kind === "grpc") {
    const problem = grpcTlsProblem(scope, c);
    return problem ? { failClosed: problem } : {};
  }
  const plan = envoyUpstreamTlsPlan(scope, c);
  if (plan.kind === "fail-closed") return { failClosed: plan.problem };
  return plan.kind === "originate" && plan.notes.length > 0 ? { notes: plan.notes } : {};
}

/** Every warning about the clusters' TLS, in cluster order. */
export function upstreamTlsWarnings(clusters: readonly UpstreamTlsReport[]): string[] {
  return clusters.flatMap(c => (c.failClosed ? [c.failClosed] : [...(c.notes ?? [])]));
}

/**
 * The `credentialName` Secrets a gateway's clusters load over ADS (only clusters that do not
 * fail closed: their Secrets all exist), for the gateway's SDS resources.
 */
export function upstreamCredentialSecrets(
  scope: ProxyScope,
  clusters: readonly OutboundCluster[],
): SecretResource[] {
  return clusters.flatMap(c => {
    if (c.failClosed) return [];
    const plan = envoyUpstreamTlsPlan(scope, c);
    return plan.kind === "originate" ? [...plan.secrets] : [];
  });
}
