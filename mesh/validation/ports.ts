/**
 * Ports, port names and protocols. Protocol names are Istio's (pkg/config/protocol), matched
 * case-insensitively; port names must be DNS-1123 labels.
 */
import { isDns1123Label } from "./hosts";

/** A protocol Istio understands, or `Unsupported`. */
export type Protocol =
  | "HTTP"
  | "HTTP2"
  | "HTTP_PROXY"
  | "HTTPS"
  | "GRPC"
  | "GRPC-Web"
  | "TCP"
  | "TLS"
  | "UDP"
  | "Mongo"
  | "Redis"
  | "MySQL"
  | "Unsupported";

const PROTOCOLS: Record<string, Protocol> = {
  tcp: "TCP",
  udp: "UDP",
  grpc: "GRPC",
  "grpc-web": "GRPC-Web",
  http: "HTTP",
  http_proxy: "HTTP_PROXY",
  http2: "HTTP2",
  https: "HTTPS",
  tls: "TLS",
  mongo: "Mongo",
  redis: "Redis",
  mysql: "MySQL",
};

/** Parses a protocol name, case-insensitively. */
export function parseProtocol(name: string | undefined): Protocol {
  return (
    (name !== undefined &&
      Object.hasOwn(PROTOCOLS, name.toLowerCase()) &&
      PROTOCOLS[name.toLowerCase()]) ||
    "Unsupported"
  );
}

/** Whether the protocol carries HTTP (HTTP/1.1, HTTP/2, gRPC). */
export function isHttp(p: Protocol): boolean {
  return p === "HTTP" || p === "HTTP2" || p === "HTTP_PROXY" || p === "GRPC" || p === "GRPC-Web";
}

/** Whether the protocol is TLS on the wire (HTTPS, TLS). */
export function isTls(p: Protocol): boolean {
  return p === "HTTPS" || p === "TLS";
}

/** Whether the protocol is carried over TCP without HTTP awareness. */
export function isTcp(p: Protocol): boolean {
  return (
    p === "TCP" || p === "HTTPS" || p === "TLS" || p === "Mongo" || p === "Redis" || p === "MySQL"
  );
}

/** A port number in 1..65535; returns the broken rule or undefined. */
export function checkPort(port: number): string | undefined {
  return port >= 1 && port <= 65535
    ? undefined
    : `port number ${port} must be in the range 1..65535`;
}

/** A port name is a DNS-1123 label. */
export function checkPortName(name: string): string | undefined {
  return isDns1123Label(name) ? undefined : `invalid port name: ${name}`;
}

/**
 * A key of an endpoint's port map as the CRD's CEL rule checks it (workload entries, service entry
 * endpoints, workload group templates): `size(key) < 63` and letters, digits and inner dashes.
 */
export function checkEndpointPortKey(name: string): string | undefined {
  return name.length < 63 && /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(name)
    ? undefined
    : "port name must be valid";
}

/** An empty protocol means "sniff"; anything else must be known. */
export function checkProtocol(name: string | undefined): string | undefined {
  if (name === undefined || name === "") return undefined;
  return parseProtocol(name) === "Unsupported" ? `unsupported protocol: ${name}` : undefined;
}
