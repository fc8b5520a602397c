/**
 * Port protocols as Istio derives them: from `appProtocol`, else from the port name's prefix
 * (`http-web`, `grpc`, `tcp-db`), case-insensitive; UDP from the Kubernetes protocol.
 *
 * @see https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
 * @see istio/istio pkg/config/kube/conversion.go (ConvertProtocol), pkg/config/protocol
 */

/** Istio's protocol instances. `Unsupported` means "not declared": sniffed on sidecars. */
export type Protocol =
  | "HTTP"
  | "HTTPS"
  | "GRPC"
  | "GRPC-Web"
  | "HTTP2"
  | "HTTP_PROXY"
  | "Mongo"
  | "Redis"
  | "MySQL"
  | "TCP"
  | "TLS"
  | "UDP"
  | "Unsupported";

const BY_NAME: Readonly<Record<string, Protocol>> = {
  http: "HTTP",
  https: "HTTPS",
  grpc: "GRPC",
  "grpc-web": "GRPC-Web",
  http2: "HTTP2",
  http_proxy: "HTTP_PROXY",
  mongo: "Mongo",
  redis: "Redis",
  mysql: "MySQL",
  tcp: "TCP",
  tls: "TLS",
  udp: "UDP",
};

/** Parses a protocol name (`HTTP`, `grpc`, …); anything else is `Unsupported`. */
export function parseProtocol(name: string | undefined): Protocol {
  return (name && BY_NAME[name.toLowerCase()]) || "Unsupported";
}

/**
 * Ports whose undeclared protocol is TCP rather than sniffed: SMTP, DNS, MySQL and MongoDB are
 * server-first (the server speaks before the client), so sniffing the client's first bytes
 * would only wait out its timeout.
 */
const WELL_KNOWN_TCP_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

/**
 * The protocol of a Kubernetes Service port: UDP wins, then `appProtocol` (with the
 * `kubernetes.io/h2c`, `kubernetes.io/ws` and `kubernetes.io/wss` standard names), then the
 * name prefix before the first `-` (`grpc-web` checked first because it contains one); a port
 * left undeclared that way is TCP on the well-known server-first ports, else `Unsupported`.
 */
export function kubePortProtocol(
  portName: string | undefined,
  kubeProtocol: string | undefined,
  appProtocol: string | undefined,
  port: number,
): Protocol {
  if (kubeProtocol === "UDP") return "UDP";
  let name = portName ?? "";
  if (appProtocol !== undefined) {
    if (appProtocol === "kubernetes.io/h2c") return "HTTP2";
    if (appProtocol === "kubernetes.io/ws") return "HTTP";
    // WebSocket over TLS: the proxy sees TLS, as for any HTTPS port.
    if (appProtocol === "kubernetes.io/wss") return "HTTPS";
    name = appProtocol;
  }
  if (name.toLowerCase().startsWith("grpc-web")) return "GRPC-Web";
  const dash = name.indexOf("-");
  const declared = parseProtocol(dash >= 0 ? name.slice(0, dash) : name);
  return declared === "Unsupported" && WELL_KNOWN_TCP_PORTS.has(port) ? "TCP" : declared;
}

/** True for protocols routed by an HTTP connection manager (Istio's `IsHTTP`). */
export function isHttpProtocol(p: Protocol): boolean {
  return p === "HTTP" || p === "HTTP2" || p === "GRPC" || p === "GRPC-Web" || p === "HTTP_PROXY";
}

/** True for gRPC and gRPC-Web (Istio's `IsGRPC`). */
export function isGrpcProtocol(p: Protocol): boolean {
  return p === "GRPC" || p === "GRPC-Web";
}

/** True for protocols whose upstream speaks HTTP/2 (Istio's `IsHTTP2`). */
export function isHttp2Protocol(p: Protocol): boolean {
  return p === "HTTP2" || p === "GRPC" || p === "GRPC-Web";
}
