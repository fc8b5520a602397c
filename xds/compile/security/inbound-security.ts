/**
 * What an Envoy sidecar enforces on inbound traffic, decided once per proxy: the mTLS mode of
 * each port (PeerAuthentication), the `jwt_authn` filter (RequestAuthentication), the HTTP and
 * network RBAC filters (AuthorizationPolicy), and the notes the builders left for the operator.
 * The listener reads the filters; the compile result's `warnings` reads the notes — the same
 * object, so what is reported is what was built.
 *
 * @see istio/istio pilot/pkg/networking/plugin/authn/authentication.go (Builder)
 * @see istio/istio pilot/pkg/networking/plugin/authz/authorization.go (Builder)
 */
import { servicesForHost, sortedValues } from "../../../mesh/store";
import type { MeshTlsSettings } from "../../../mesh/meshconfig/mesh-tls";
import {
  requestAuthenticationsFor,
  type RequestAuthenticationInput,
} from "../../../mesh/authn/request-authentication";
import { buildJwtAuthnFilter } from "./jwt-authn";
import { mtlsModeForPort, type EffectiveMtls, type MtlsMode } from "../../../mesh/authn";
import { workloadEffectiveMtls } from "../../../mesh/authn/workload-mtls";
import {
  buildHttpAuthzFilters,
  buildTcpAuthzFilters,
  trustDomainBundle,
  type AuthzBuildOptions,
  type NamedFilter,
} from "./index";
import type { ProxyScope } from "../scope";
import { authorizationPoliciesFor } from "./workload-security";

/** The inbound security of one sidecar. */
export interface InboundSecurity {
  /** The workload's PeerAuthentication result (mode and port-level overrides). */
  readonly mtls: EffectiveMtls;
  /** The `jwt_authn` HTTP filter, absent when no RequestAuthentication selects the workload. */
  readonly jwt?: NamedFilter;
  /** RBAC (and ext_authz) HTTP filters in evaluation order: CUSTOM, AUDIT, DENY, ALLOW. */
  readonly httpAuthz: readonly NamedFilter[];
  /** The same policies as network filters, for TCP chains. */
  readonly tcpAuthz: readonly NamedFilter[];
  /** The builders' notes, each naming its object and field, without repeats. */
  readonly notes: readonly string[];
  /** Trust domains whose peers inbound mTLS accepts: the mesh's, then its aliases. */
  readonly trustDomains: readonly string[];
  /** MeshConfig `meshMTLS`: the inbound mTLS minimum version and cipher suites. */
  readonly meshMtls: MeshTlsSettings;
}

/** The mode the workload accepts on `port` (a workload port; 0 for the passthrough chains). */
export function portMode(security: InboundSecurity, port: number): MtlsMode {
  return mtlsModeForPort(security.mtls, port);
}

function requestAuthentications(scope: ProxyScope): RequestAuthenticationInput[] {
  const all = sortedValues(scope.store.config.RequestAuthentication).map(r => ({
    namespace: r.metadata.namespace ?? "default",
    name: r.metadata.name ?? "",
    spec: r.spec,
  }));
  return requestAuthenticationsFor(all, scope.proxy, scope.mesh.rootNamespace);
}

function build(scope: ProxyScope): InboundSecurity {
  const { proxy } = scope;
  const workload = { namespace: proxy.namespace, labels: proxy.labels };
  const jwt = buildJwtAuthnFilter(requestAuthentications(scope), scope.jwks);
  const policies = authorizationPoliciesFor(scope.store, workload, scope.mesh.rootNamespace);
  const options = authzBuildOptions(scope);
  const http = buildHttpAuthzFilters(policies, options);
  const tcp = buildTcpAuthzFilters(policies, options);
  // HTTP and TCP builds repeat most notes; the operator needs each once.
  const notes = [...jwt.notes, ...http.notes, ...tcp.notes].map(n => n.message);
  return {
    mtls: workloadEffectiveMtls(scope.store, workload, scope.mesh.rootNamespace),
    jwt: jwt.filter,
    httpAuthz: http.filters,
    tcpAuthz: tcp.filters,
    notes: [...new Set(notes)],
    trustDomains: [...new Set([scope.mesh.trustDomain, ...scope.mesh.trustDomainAliases])].filter(
      Boolean,
    ),
    meshMtls: scope.mesh.meshMTLS,
  };
}

/**
 * What the RBAC builders need from the mesh config: the trust domain and its aliases (a policy
 * naming `cluster.local` principals keeps matching after a trust-domain migration), and the
 * extension providers CUSTOM policies name, resolved against the whole registry as Istio does.
 */
export function authzBuildOptions(scope: ProxyScope): AuthzBuildOptions {
  const { trustDomain, trustDomainAliases, extensionProviders } = scope.mesh;
  return {
    trustDomains: trustDomainBundle(trustDomain, trustDomainAliases),
    extensionProviders,
    serviceNamespaces: host => servicesForHost(scope.store, host).map(s => s.namespace),
    providerUnreachable: (host, port) => {
      const service = scope.service(host);
      if (!service)
        return `service ${host} is not visible to this proxy (Sidecar egress or exportTo)`;
      if (!service.ports.some(p => p.port === port))
        return `service ${host} has no port ${port} (it has ${service.ports.map(p => p.port).join(", ")})`;
      return undefined;
    },
  };
}

// Keyed by the scope (one per compile), so the listener and the warnings share one build
// without threading it through sidecar-listeners.ts; entries go with their scope.
const built = new WeakMap<ProxyScope, InboundSecurity>();

/** The inbound security of the scope's proxy (built once per scope). */
export function inboundSecurity(scope: ProxyScope): InboundSecurity {
  let security = built.get(scope);
  if (!security) built.set(scope, (security = build(scope)));
  return security;
}
