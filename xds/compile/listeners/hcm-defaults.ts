/**
 * The HttpConnectionManager fields istiod sets on every Envoy HCM it builds, whatever the
 * routes: WebSocket upgrades allowed, paths normalized (Istio's default `pathNormalization`,
 * escaped slashes kept), no stream idle timeout (Envoy's default 5 minutes would cut long-lived
 * streams that send nothing, e.g. gRPC watches), `Expect: 100-continue` answered by the
 * upstream (`ENABLE_100_CONTINUE_HEADERS`, default on), and the class's proxy headers:
 * - sidecar outbound: Envoy's own server name, the peer's address from XFF
 *   (`use_remote_address` false);
 * - sidecar inbound: server name `istio-envoy`, and the client certificate forwarded in
 *   `X-Forwarded-Client-Cert` (APPEND_FORWARD with subject, URI and DNS SANs), which
 *   applications read to know the calling workload;
 * - gateway: server name `istio-envoy`, the client's real address, an incoming XFCC replaced
 *   (SANITIZE_SET with subject, certificate, URI and DNS SANs), default HTTP/1 options.
 * Envoy sidecars and gateways only: proxyless gRPC clients get none of these (Istio's grpcgen
 * sets none and gRPC ignores them).
 *
 * @see istio/istio pilot/pkg/networking/core/listener_builder.go (buildHTTPConnectionManager),
 *   listener.go (buildSidecarOutboundHTTPListenerOpts), listener_inbound.go
 *   (buildSidecarInboundHTTPOpts), gateway.go (buildGatewayConnectionManager),
 *   pilot/pkg/networking/util/proxy_headers.go (GetProxyHeadersFromProxyConfig)
 */
import { msDuration } from "../shared/xds-util";
import type { HttpConnectionManager } from "../shared/envoy";

/** Which of Istio's listener classes an HCM belongs to. */
export type HcmClass = "outbound" | "inbound" | "gateway";

/** Istio's server header value (EnvoyServerName) on inbound and gateway HCMs. */
export const ISTIO_SERVER_NAME = "istio-envoy";

function classHeaders(hcmClass: HcmClass): HttpConnectionManager {
  switch (hcmClass) {
    case "outbound":
      return { use_remote_address: { value: false } };
    case "inbound":
      return {
        use_remote_address: { value: false },
        server_name: ISTIO_SERVER_NAME,
        forward_client_cert_details: "APPEND_FORWARD",
        set_current_client_cert_details: { subject: { value: true }, uri: true, dns: true },
      };
    case "gateway":
      return {
        use_remote_address: { value: true },
        server_name: ISTIO_SERVER_NAME,
        forward_client_cert_details: "SANITIZE_SET",
        set_current_client_cert_details: {
          subject: { value: true },
          cert: true,
          dns: true,
          uri: true,
        },
        http_protocol_options: {},
      };
  }
}

/** The fields istiod sets on an HCM of this class, beside its routes and filters. */
export function istioHcmDefaults(hcmClass: HcmClass): HttpConnectionManager {
  return {
    ...classHeaders(hcmClass),
    normalize_path: { value: true },
    path_with_escaped_slashes_action: "KEEP_UNCHANGED",
    upgrade_configs: [{ upgrade_type: "websocket" }],
    stream_idle_timeout: msDuration(0),
    proxy_100_continue: true,
  };
}
