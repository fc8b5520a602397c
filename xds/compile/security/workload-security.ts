/**
 * What the mesh's security config says about one workload, for the compiler: the
 * AuthorizationPolicies that select it and the mTLS mode it accepts on a port (both computed in
 * `mesh/`, re-exported here), and whether a proxyless gRPC server on it listens with mTLS.
 * Shared by the server listeners and by clients deciding to speak mTLS to it, so both sides of a
 * connection are compiled from the same answer.
 *
 * @see istio/istio pilot/pkg/networking/grpcgen/lds.go (buildInboundFilterChains)
 */
import type { MtlsMode } from "../../../mesh/authn";
import type { EndpointInfo } from "../../../mesh/store";

// The selection moved to mesh/ (the CLI reads it too); re-exported so compiler imports stay.
export { workloadMtlsMode } from "../../../mesh/authn/workload-mtls";
export {
  authorizationPoliciesFor,
  type WorkloadSelectorRef,
} from "../../../mesh/authz/workload-policies";

/** The label injection puts on workloads that hold mesh certificates (Istio's auto-mTLS key). */
export const TLS_MODE_LABEL = "security.istio.io/tlsMode";

/**
 * An endpoint's TLS mode (Istio's `IstioEndpoint.TLSMode`): its `security.istio.io/tlsMode`
 * label; a WorkloadEntry (or a ServiceEntry's inline endpoint) without one that names a service
 * account is `istio`, as istiod reads it. Undefined is Istio's `disabled`. Read both for an
 * endpoint's auto-mTLS metadata (`endpoint-tls-mode.ts`) and for whether a passthrough service
 * is meshed (`upstream-tls-plan.ts`).
 *
 * @see istio/istio pilot/pkg/serviceregistry/serviceentry/conversion.go (getTLSModeFromWorkloadEntry)
 * @see istio/istio pilot/pkg/serviceregistry/kube/conversion.go (PodTLSMode)
 */
export function endpointTlsMode(e: EndpointInfo): string | undefined {
  const label = e.labels[TLS_MODE_LABEL];
  if (label !== undefined) return label;
  const entry = e.source.startsWith("WorkloadEntry/") || e.source.startsWith("ServiceEntry/");
  return entry && e.serviceAccount ? "istio" : undefined;
}

/** The injection template annotation; `grpc-agent` marks a proxyless gRPC workload. */
export const INJECT_TEMPLATES_ANNOTATION = "inject.istio.io/templates";

/**
 * Whether a proxyless gRPC server listens with mTLS: STRICT does; DISABLE does not; PERMISSIVE
 * cannot be honoured, because grpc-js-xds (gRFC A36) only matches filter chains on
 * `transport_protocol: raw_buffer` and so cannot tell TLS from plaintext on one port. As Istio
 * does, PERMISSIVE is served plaintext, unless the workload carries certificates
 * (`security.istio.io/tlsMode: istio`), whose auto-mTLS clients will dial mTLS: then STRICT.
 */
export function grpcServerUsesMtls(mode: MtlsMode, labels: Readonly<Record<string, string>>) {
  if (mode === "PERMISSIVE") return labels[TLS_MODE_LABEL] === "istio";
  return mode === "STRICT";
}
