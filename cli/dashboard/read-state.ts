/**
 * One reading of what the dashboard shows: the cluster's objects (the same read as
 * `rig analyze -A`), the control plane's CSDS reports (the same call as `rig proxy-status`) and
 * the analysis, built into the graph. A source that cannot be read is reported in the graph's
 * `sources`, never thrown: the page then says what is missing and shows the rest.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { analyze, type AnalysisMessage, type Resource } from "../../mesh/analysis";
import type { ProxyReport } from "../../xds/status/client-status";
import { readCluster } from "../analyze/cluster";
import { errorMessage } from "../output";
import { fetchProxyReports, type XdsFlags } from "../xds/csds-client";
import { buildGraph } from "./model/build-graph";
import type { DashboardGraph } from "./model/types";

/** Where to read from. */
export interface ReadOptions {
  /** The control plane's CSDS connection (as `rig proxy-status` takes it). */
  readonly xds: XdsFlags;
  /** Give up on the API server after this long. @default 10000 */
  readonly clusterTimeoutMs?: number;
  /** The mesh root namespace. @default "istio-system" */
  readonly rootNamespace?: string;
}

/**
 * The API server of the current context of the first KUBECONFIG file (or ~/.kube/config), for
 * the page to name; a description when it cannot be told.
 */
export function apiServerAddress(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.KUBECONFIG?.split(":")[0] || join(homedir(), ".kube", "config");
  try {
    const config = parse(readFileSync(path, "utf8")) as {
      "current-context"?: string;
      contexts?: { name: string; context?: { cluster?: string } }[];
      clusters?: { name: string; cluster?: { server?: string } }[];
    };
    const context = config.contexts?.find(c => c.name === config["current-context"]);
    const server = config.clusters?.find(c => c.name === context?.context?.cluster)?.cluster
      ?.server;
    return server ?? `the cluster in ${path}`;
  } catch {
    return `the cluster in ${path}`;
  }
}

// kubernetes-fluent-client rejects with the HTTP response, not an Error. When no response came
// (nothing listening, TLS refused) it says status 400 "fetch failed" and keeps fetch's error in
// `e`, whose `cause` has the reason (ECONNREFUSED, …).
export function clusterError(err: unknown): string {
  const res = err as {
    status?: number;
    statusText?: string;
    data?: { message?: string };
    e?: unknown;
  };
  if (res?.e instanceof Error) return `no answer (${clusterError(res.e)})`;
  if (typeof res?.status === "number")
    return `HTTP ${res.status} ${res.data?.message ?? res.statusText ?? ""}`.trim();
  const cause = (err as { cause?: unknown })?.cause;
  return `${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ""}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reads the cluster and the control plane (at once) and builds the graph. */
export async function readDashboardGraph(options: ReadOptions): Promise<DashboardGraph> {
  const clusterAddress = apiServerAddress();
  const [cluster, control] = await Promise.allSettled([
    withTimeout(readCluster(), options.clusterTimeoutMs ?? 10_000, "the API server"),
    fetchProxyReports(options.xds),
  ]);
  const resources: Resource[] | undefined =
    cluster.status === "fulfilled" ? cluster.value : undefined;
  const reports: ProxyReport[] | undefined =
    control.status === "fulfilled" ? control.value : undefined;
  const messages: AnalysisMessage[] = resources ? analyze(resources, { workloadsKnown: true }) : [];
  return buildGraph({
    generatedAt: new Date().toISOString(),
    ...(resources ? { resources } : {}),
    cluster:
      cluster.status === "fulfilled"
        ? { ok: true, address: clusterAddress }
        : { ok: false, address: clusterAddress, error: clusterError(cluster.reason) },
    ...(reports ? { reports } : {}),
    controlPlane:
      control.status === "fulfilled"
        ? { ok: true, address: options.xds.xdsAddress }
        : { ok: false, address: options.xds.xdsAddress, error: errorMessage(control.reason) },
    messages,
    ...(options.rootNamespace ? { rootNamespace: options.rootNamespace } : {}),
  });
}
