/**
 * `rig proxy-status` output from CSDS reports: an istioctl-style table (one row per connected
 * proxy, one sync-state column per xDS type), the NACK details under it, and the `-o json`
 * document. Pure: reports in, strings and plain objects out.
 */
import type { ProxyReport, ReportState, TypeReport } from "./client-status";

/** The type columns, in istioctl's order (CDS, LDS, EDS, RDS), then SDS. */
export const STATUS_COLUMNS: readonly string[] = ["CDS", "LDS", "EDS", "RDS", "SDS"];

/** Headers and rows of a table, for `cli/output.ts` `table()`. */
export interface TableData {
  readonly headers: string[];
  readonly rows: string[][];
}

/**
 * The name istioctl shows for a proxy: `pod.namespace` out of an Istio node id
 * (`sidecar~10.1.2.3~pod.ns~ns.svc.cluster.local`), else the node id itself.
 */
export function proxyName(nodeId: string): string {
  const parts = nodeId.split("~");
  return parts.length === 4 && parts[2] ? parts[2] : nodeId;
}

/** Reports whose node id or short name is `proxy` (what `rig proxy-config <proxy>` accepts). */
export function matchProxy(reports: readonly ProxyReport[], proxy: string): ProxyReport[] {
  const exact = reports.filter(r => r.nodeId === proxy);
  return exact.length > 0 ? exact : reports.filter(r => proxyName(r.nodeId) === proxy);
}

/** The proxy's version as istioctl shows it: Istio's `ISTIO_VERSION`, else the user agent. */
export function proxyVersion(report: ProxyReport): string {
  const istio = report.metadata.ISTIO_VERSION;
  return typeof istio === "string" && istio !== "" ? istio : report.userAgent || "-";
}

/** The state of a type column; a type the proxy never asked for was never sent. */
export function columnState(report: ProxyReport, type: string): ReportState {
  return report.types[type]?.state ?? "NOT SENT";
}

function sortByName(reports: readonly ProxyReport[]): ProxyReport[] {
  return [...reports].sort(
    (a, b) =>
      proxyName(a.nodeId).localeCompare(proxyName(b.nodeId)) ||
      a.nodeId.localeCompare(b.nodeId) ||
      (a.connection?.id ?? "").localeCompare(b.connection?.id ?? ""),
  );
}

/** The table: NAME, CLUSTER, one state column per type, VERSION. */
export function proxyStatusTable(reports: readonly ProxyReport[]): TableData {
  return {
    headers: ["NAME", "CLUSTER", ...STATUS_COLUMNS, "VERSION"],
    rows: sortByName(reports).map(r => [
      proxyName(r.nodeId),
      r.cluster || "-",
      ...STATUS_COLUMNS.map(type => columnState(r, type)),
      proxyVersion(r),
    ]),
  };
}

/** Types currently in ERROR (their latest response was NACKed), with the NACK. */
export function errors(
  report: ProxyReport,
): (TypeReport & { nack: NonNullable<TypeReport["nack"]> })[] {
  return STATUS_COLUMNS.flatMap(type => {
    const t = report.types[type];
    return t?.state === "ERROR" && t.nack ? [{ ...t, nack: t.nack }] : [];
  });
}

/**
 * One line per type in ERROR, naming the proxy, the type, the rejected version, when, and the
 * proxy's reason: `client.default  RDS  NACK of 3f2a… at 2025-01-01T00:00:00.000Z: <detail>`.
 */
export function nackLines(reports: readonly ProxyReport[]): string[] {
  return sortByName(reports).flatMap(r =>
    errors(r).map(
      t =>
        `${proxyName(r.nodeId)}  ${t.type}  NACK of version ${t.nack.version || "?"}` +
        `${t.nack.at ? ` at ${t.nack.at}` : ""}: ${t.nack.detail}`,
    ),
  );
}

/** True when any report shows a NACK or an error (the command then exits 1). */
export function hasErrors(reports: readonly ProxyReport[]): boolean {
  return reports.some(r => STATUS_COLUMNS.some(type => columnState(r, type) === "ERROR"));
}

/** The `-o json` document: one object per connection, every type column spelled out. */
export function proxyStatusJson(reports: readonly ProxyReport[]): object[] {
  return sortByName(reports).map(r => ({
    name: proxyName(r.nodeId),
    nodeId: r.nodeId,
    cluster: r.cluster,
    version: proxyVersion(r),
    userAgent: r.userAgent,
    connection: r.connection,
    types: Object.fromEntries(
      STATUS_COLUMNS.map(type => [type, r.types[type] ?? { type, state: "NOT SENT" }]),
    ),
  }));
}
