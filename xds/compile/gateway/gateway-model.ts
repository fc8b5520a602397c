/**
 * The gateway a router proxy runs: the Gateways whose `selector` matches its labels, their
 * servers merged by listener address and port, and the VirtualServices bound to each server.
 *
 * Istio's rules kept here:
 * - A Gateway in any namespace applies (PILOT_SCOPE_GATEWAY_TO_NAMESPACE defaults to false); an
 *   empty selector matches every gateway proxy.
 * - Servers of one port merge only when they agree: plaintext HTTP servers share the route
 *   config `http.<port>`; TLS servers (HTTPS or TLS protocol) share the port by SNI; one TCP
 *   server per port. A server that conflicts with the port's first one is dropped, as istiod
 *   drops it (with a warning) in MergeGateways.
 * - A server host `ns/host` admits only VirtualServices from `ns` (`.` is the Gateway's
 *   namespace, no prefix or `*` any namespace); the virtual host is the more specific of the
 *   VirtualService host and the server host.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/
 * @see istio/istio pilot/pkg/model/gateway.go (MergeGateways), pilot/pkg/networking/core/gateway.go
 */
import type { Gateway, VirtualService } from "../../../mesh/api";
import { isHttpProtocol, parseProtocol, selectorMatches, sortedValues } from "../../../mesh/store";
import { hostsMatch, hostSubsetOf } from "../../../mesh/validation/hosts";
import { exportedTo, resolveHost } from "../shared/host-names";
import type { ProxyScope } from "../scope";
import { byString } from "../shared/xds-util";

/** A Gateway server as written. */
export type GatewayServerSpec = NonNullable<Gateway["spec"]["servers"]>[number];

/** How a server's connections are handled, which decides its filter chains. */
export type ServerKind =
  /** Plaintext HTTP (incl. `httpsRedirect`): HCM with route config `http.<port>`. */
  | "http"
  /** HTTPS terminated here (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL): HCM per server. */
  | "https"
  /** TLS passed through by SNI to `tls` routes (PASSTHROUGH). */
  | "passthrough"
  /** Mesh mTLS passed through to the service its SNI names (AUTO_PASSTHROUGH). */
  | "auto-passthrough"
  /** TLS terminated here, then opaque TCP to `tcp` routes. */
  | "tls-terminated"
  /** Opaque TCP to `tcp` routes. */
  | "tcp";

/** One host of a server: the namespace it admits VirtualServices from (`*` any) and the name. */
export interface ServerHost {
  readonly namespace: string;
  readonly host: string;
}

/** A server of a selected Gateway. */
export interface GatewayServer {
  /** `namespace/name` of its Gateway, as VirtualServices bind to it. */
  readonly gateway: string;
  readonly gatewayName: string;
  readonly gatewayNamespace: string;
  readonly spec: GatewayServerSpec;
  /** Position in the Gateway's `spec.servers`, for messages that name the server. */
  readonly index: number;
  readonly kind: ServerKind;
  readonly port: number;
  readonly hosts: readonly ServerHost[];
}

/** The servers sharing one listener (`bind` address and port). */
export interface GatewayPort {
  readonly address: string;
  readonly port: number;
  /** The listener class every server on the port shares. */
  readonly family: "http" | "tls" | "tcp";
  readonly servers: readonly GatewayServer[];
}

/** What kind of server, from its port protocol and TLS mode (Istio's gateway.go switch). */
export function serverKind(spec: GatewayServerSpec): ServerKind | undefined {
  const protocol = spec.port.protocol.toUpperCase();
  // The TLS mode enum's zero value is PASSTHROUGH, so an unset mode passes through.
  const mode = spec.tls?.mode ?? "PASSTHROUGH";
  if (protocol === "HTTPS" || protocol === "TLS") {
    if (mode === "PASSTHROUGH") return "passthrough";
    if (mode === "AUTO_PASSTHROUGH") return "auto-passthrough";
    return protocol === "HTTPS" ? "https" : "tls-terminated";
  }
  const parsed = parseProtocol(protocol);
  if (isHttpProtocol(parsed)) return "http";
  if (parsed === "UDP") return undefined;
  return "tcp";
}

function family(kind: ServerKind): GatewayPort["family"] {
  if (kind === "http") return "http";
  return kind === "tcp" ? "tcp" : "tls";
}

/** `ns/host` → namespace filter and host; `.` means the Gateway's own namespace. */
export function parseServerHost(raw: string, gatewayNamespace: string): ServerHost {
  const slash = raw.indexOf("/");
  if (slash < 0) return { namespace: "*", host: raw };
  const ns = raw.slice(0, slash);
  return { namespace: ns === "." ? gatewayNamespace : ns, host: raw.slice(slash + 1) };
}

function createdAt(o: { metadata: object }): string {
  const t = (o.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  return typeof t === "string" ? t : "";
}

/** Oldest first, then `namespace/name`: Istio's sortConfigByCreationTime. */
export function byCreation<T extends { metadata: { name?: string; namespace?: string } }>(
  a: T,
  b: T,
): number {
  const c = byString(createdAt(a), createdAt(b));
  if (c !== 0) return c;
  return byString(
    `${a.metadata.namespace}/${a.metadata.name}`,
    `${b.metadata.namespace}/${b.metadata.name}`,
  );
}

/** The Gateways that configure this proxy, oldest first. */
export function gatewaysForProxy(scope: ProxyScope, scopeToNamespace = false): Gateway[] {
  const { proxy } = scope;
  return sortedValues(scope.store.config.Gateway)
    .filter(gw => !scopeToNamespace || gw.metadata.namespace === proxy.namespace)
    .filter(gw => selectorMatches(gw.spec.selector, proxy.labels))
    .sort(byCreation);
}

/**
 * The proxy's servers grouped into listeners, in port order. Servers that cannot share their
 * port with the first server there, or whose kind is not supported, are left out.
 */
export function gatewayPorts(scope: ProxyScope): GatewayPort[] {
  const ports = new Map<string, { address: string; port: number; servers: GatewayServer[] }>();
  const families = new Map<string, GatewayPort["family"]>();
  for (const gw of gatewaysForProxy(scope)) {
    const ns = gw.metadata.namespace ?? "default";
    const name = gw.metadata.name ?? "";
    for (const [index, spec] of (gw.spec.servers ?? []).entries()) {
      const kind = serverKind(spec);
      if (!kind) continue;
      const address = spec.bind ?? "0.0.0.0";
      const key = `${address}_${spec.port.number}`;
      const fam = family(kind);
      const had = families.get(key);
      if (had !== undefined && (had !== fam || fam === "tcp")) continue;
      families.set(key, fam);
      const group = ports.get(key) ?? { address, port: spec.port.number, servers: [] };
      group.servers.push({
        gateway: `${ns}/${name}`,
        gatewayName: name,
        gatewayNamespace: ns,
        spec,
        index,
        kind,
        port: spec.port.number,
        hosts: spec.hosts.map(h => parseServerHost(h, ns)),
      });
      ports.set(key, group);
    }
  }
  return [...ports.entries()]
    .sort(([a, x], [b, y]) => x.port - y.port || byString(a, b))
    .map(([key, g]) => ({ ...g, family: families.get(key)! }));
}

/**
 * A gateway reference of a VirtualService as `namespace/name`: `name` is in the
 * VirtualService's namespace, the legacy `name.namespace.svc.<suffix>` form names the same,
 * `mesh` stays `mesh`.
 * @see istio/istio pilot/pkg/model/virtualservice.go (resolveGatewayName)
 */
export function resolveGatewayName(ref: string, vsNamespace: string): string {
  if (ref === "mesh" || ref.includes("/")) return ref;
  if (ref.includes(".")) {
    const [name = "", ns = ""] = ref.split(".");
    return `${ns}/${name}`;
  }
  return `${vsNamespace}/${ref}`;
}

/** Whether a VirtualService (from `vsNamespace`) names `gateway` among `refs`. */
export function bindsGateway(
  refs: readonly string[] | undefined,
  vsNamespace: string,
  gateway: string,
): boolean {
  return (refs ?? []).some(r => resolveGatewayName(r, vsNamespace) === gateway);
}

/** VirtualServices bound to any of the proxy's Gateways, hosts made FQDN, oldest first. */
export function gatewayVirtualServices(scope: ProxyScope, gateways: ReadonlySet<string>) {
  const suffix = scope.store.domainSuffix;
  // Delegates already merged into their roots (scope.ts).
  return scope.mergedVirtualServices
    .filter(vs => {
      const ns = vs.metadata.namespace ?? "default";
      return (
        exportedTo(vs.spec.exportTo, ns, scope.proxy.namespace) &&
        (vs.spec.gateways ?? []).some(g => gateways.has(resolveGatewayName(g, ns)))
      );
    })
    .map(vs => {
      const ns = vs.metadata.namespace ?? "default";
      const hosts = (vs.spec.hosts ?? []).map(h => resolveHost(h, ns, suffix));
      return { ...vs, spec: { ...vs.spec, hosts } };
    })
    .sort(byCreation);
}

/**
 * The hosts a VirtualService serves on a server: for each VirtualService host matching a server
 * host the server admits its namespace on, the more specific of the two (`*` on both stays `*`).
 * @see istio/istio pilot/pkg/networking/core/gateway.go (pickMatchingGatewayHosts)
 */
export function intersectHosts(server: GatewayServer, vs: VirtualService): string[] {
  const vsNs = vs.metadata.namespace ?? "default";
  const out: string[] = [];
  for (const vsHost of vs.spec.hosts ?? []) {
    for (const { namespace, host } of server.hosts) {
      if (namespace !== "*" && namespace !== vsNs) continue;
      if (!hostsMatch(vsHost, host)) continue;
      const picked = hostSubsetOf(vsHost, host) ? vsHost : host;
      if (!out.includes(picked)) out.push(picked);
    }
  }
  return out;
}

/** The VirtualServices bound to this server's Gateway with their hosts on it. */
export function boundVirtualServices(
  server: GatewayServer,
  virtualServices: readonly VirtualService[],
): { vs: VirtualService; hosts: string[] }[] {
  return virtualServices
    .filter(vs =>
      bindsGateway(vs.spec.gateways, vs.metadata.namespace ?? "default", server.gateway),
    )
    .map(vs => ({ vs, hosts: intersectHosts(server, vs) }))
    .filter(b => b.hosts.length > 0);
}
