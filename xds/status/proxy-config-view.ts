/**
 * `rig proxy-config <proxy> [kind]` output: istioctl-style summary tables of the resources one
 * proxy was sent (decoded from CSDS), and the `-o json` document with every resource in full.
 * Pure. Column choices follow `istioctl proxy-config`, plus the xDS state of each resource.
 */
import { X509Certificate } from "node:crypto";
import type { ProxyReport, ResourceReport } from "./client-status";
import type { TableData } from "./proxy-status-view";
import { proxyName } from "./proxy-status-view";

/** The kinds `proxy-config` shows, in ADS order. */
export const CONFIG_KINDS = ["clusters", "endpoints", "listeners", "routes", "secrets"] as const;

/** One of {@link CONFIG_KINDS}. */
export type ConfigKind = (typeof CONFIG_KINDS)[number];

/** The short xDS type of each kind. */
export const KIND_TYPE: Readonly<Record<ConfigKind, string>> = {
  clusters: "CDS",
  endpoints: "EDS",
  listeners: "LDS",
  routes: "RDS",
  secrets: "SDS",
};

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const TCP_PROXY = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → its four parts (Istio's cluster names). */
function istioCluster(name: string): { fqdn: string; port: string; subset: string; dir: string } {
  const parts = name.split("|");
  if (parts.length === 4 && (parts[0] === "outbound" || parts[0] === "inbound")) {
    return { dir: parts[0], port: parts[1] || "-", subset: parts[2] || "-", fqdn: parts[3] || "-" };
  }
  return { fqdn: name, port: "-", subset: "-", dir: "-" };
}

function clusterRows(resources: readonly ResourceReport[]): TableData {
  return {
    headers: ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "STATE"],
    rows: resources.map(r => {
      const c = istioCluster(r.name);
      const config = obj(r.config);
      const type = config.type ?? (config.cluster_type ? "CUSTOM" : r.config ? "STATIC" : "-");
      return [c.fqdn, c.port, c.subset, c.dir, String(type), r.state];
    }),
  };
}

function endpointRows(resources: readonly ResourceReport[]): TableData {
  const rows: string[][] = [];
  for (const r of resources) {
    const lbs = arr(obj(r.config).endpoints).flatMap(l => arr(l.lb_endpoints));
    if (lbs.length === 0) rows.push(["-", "-", r.name, r.state]);
    for (const lb of lbs) {
      const socket = obj(obj(obj(lb.endpoint).address).socket_address);
      const where = socket.address
        ? `${String(socket.address)}:${String(socket.port_value ?? "")}`
        : "-";
      rows.push([where, String(lb.health_status ?? "UNKNOWN"), r.name, r.state]);
    }
  }
  return { headers: ["ENDPOINT", "HEALTH", "CLUSTER", "STATE"], rows };
}

/** Where an HTTP connection manager or TCP proxy sends traffic. */
function destination(filterConfig: Json): string | undefined {
  const type = String(filterConfig["@type"] ?? "");
  if (type.endsWith(HCM)) {
    const rds = obj(filterConfig.rds).route_config_name;
    if (rds) return `Route: ${String(rds)}`;
    if (filterConfig.route_config) return "Inline Route";
  }
  if (type.endsWith(TCP_PROXY) && filterConfig.cluster)
    return `Cluster: ${String(filterConfig.cluster)}`;
  return undefined;
}

function listenerRows(resources: readonly ResourceReport[]): TableData {
  return {
    headers: ["NAME", "ADDRESS", "PORT", "TYPE", "DESTINATION", "STATE"],
    rows: resources.map(r => {
      const config = obj(r.config);
      const socket = obj(obj(config.address).socket_address);
      const api = obj(obj(config.api_listener).api_listener);
      const filters = arr(config.filter_chains).flatMap(fc => arr(fc.filters));
      const dests = config.api_listener
        ? [destination(api)]
        : filters.map(f => destination(obj(f.typed_config)));
      const unique = [...new Set(dests.filter((d): d is string => d !== undefined))];
      return [
        r.name,
        String(socket.address ?? "-"),
        String(socket.port_value ?? "-"),
        config.api_listener ? "API" : r.config ? "TCP" : "-",
        unique.join(", ") || "-",
        r.state,
      ];
    }),
  };
}

function match(m: Json): string {
  if (m.path !== undefined) return String(m.path);
  if (m.prefix !== undefined) return `${String(m.prefix) || "/"}*`;
  if (m.safe_regex) return `regex ${String(obj(m.safe_regex).regex)}`;
  return "-";
}

function routeAction(route: Json): string {
  const action = obj(route.route);
  if (action.cluster) return String(action.cluster);
  const weighted = arr(obj(action.weighted_clusters).clusters);
  if (weighted.length > 0)
    return weighted.map(w => `${String(w.name)} ${String(obj(w.weight).value ?? 0)}`).join(", ");
  if (route.non_forwarding_action) return "(handled locally)";
  if (route.redirect) return "(redirect)";
  if (route.direct_response) return "(direct response)";
  return "-";
}

function routeRows(resources: readonly ResourceReport[]): TableData {
  const rows: string[][] = [];
  for (const r of resources) {
    const hosts = arr(obj(r.config).virtual_hosts);
    if (hosts.length === 0) rows.push([r.name, "-", "-", "-", "-", r.state]);
    for (const host of hosts) {
      const domains = arr(host.domains).map(String).join(",") || "-";
      const routes = arr(host.routes);
      if (routes.length === 0)
        rows.push([r.name, String(host.name ?? "-"), domains, "-", "-", r.state]);
      for (const route of routes) {
        rows.push([
          r.name,
          String(host.name ?? "-"),
          domains,
          match(obj(route.match)),
          routeAction(route),
          r.state,
        ]);
      }
    }
  }
  return { headers: ["NAME", "VHOST NAME", "DOMAINS", "MATCH", "DESTINATION", "STATE"], rows };
}

/** The notAfter of the first certificate in an inline data source, if it parses. */
function notAfter(source: Json): string {
  const pem = source.inline_string ?? source.inline_bytes;
  if (typeof pem !== "string" || pem === "") return "-";
  try {
    const text = source.inline_string ? pem : Buffer.from(pem, "base64").toString("utf8");
    return new Date(new X509Certificate(text).validTo).toISOString();
  } catch {
    return "-";
  }
}

function secretRows(resources: readonly ResourceReport[]): TableData {
  return {
    headers: ["RESOURCE NAME", "TYPE", "STATE", "NOT AFTER"],
    rows: resources.map(r => {
      const config = obj(r.config);
      if (config.tls_certificate) {
        const chain = obj(obj(config.tls_certificate).certificate_chain);
        return [r.name, "Cert Chain", r.state, notAfter(chain)];
      }
      if (config.validation_context) {
        const ca = obj(obj(config.validation_context).trusted_ca);
        return [r.name, "CA", r.state, notAfter(ca)];
      }
      return [r.name, r.config ? "Other" : "-", r.state, "-"];
    }),
  };
}

const TABLES: Readonly<Record<ConfigKind, (resources: readonly ResourceReport[]) => TableData>> = {
  clusters: clusterRows,
  endpoints: endpointRows,
  listeners: listenerRows,
  routes: routeRows,
  secrets: secretRows,
};

/** The resources of `kind` the proxy holds or was sent, sorted by name. */
export function resourcesOf(report: ProxyReport, kind: ConfigKind): ResourceReport[] {
  return report.resources
    .filter(r => r.type === KIND_TYPE[kind])
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The summary table of one kind for one proxy. */
export function configTable(report: ProxyReport, kind: ConfigKind): TableData {
  return TABLES[kind](resourcesOf(report, kind));
}

/** Resources of the shown kinds whose latest response the proxy NACKed. */
export function nackedResources(
  report: ProxyReport,
  kinds: readonly ConfigKind[],
): ResourceReport[] {
  return kinds.flatMap(kind => resourcesOf(report, kind).filter(r => r.state === "ERROR"));
}

/** The `-o json` document: the proxy and every resource of the shown kinds, decoded in full. */
export function proxyConfigJson(report: ProxyReport, kinds: readonly ConfigKind[]): object {
  return {
    name: proxyName(report.nodeId),
    nodeId: report.nodeId,
    cluster: report.cluster,
    userAgent: report.userAgent,
    connection: report.connection,
    ...Object.fromEntries(kinds.map(kind => [kind, resourcesOf(report, kind)])),
  };
}
