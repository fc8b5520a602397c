// The second half of `npm start`'s demo: a mesh with real traffic. A Deployment's pods run as
// proxyless gRPC processes on this machine (kwok's nodes run nothing), and kubectl steers them:
// a canary split, STRICT mTLS, a DENY on one method, and `rig proxy-status`.
import "../cli/dev/workloads/enable-grpc-rbac";
import { join, relative } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { repoRoot } from "../cli/local-cluster/binaries";
import { sleep } from "../cli/local-cluster/processes";
import { table } from "../cli/output";
import { fetchProxyReports } from "../cli/xds/csds-client";
import { HOST_ADDRESS_ANNOTATION } from "../mesh/store/host-address";
import { nackLines, proxyStatusTable } from "../xds/status/proxy-status-view";
import { prepareHostPod, type HostPod } from "../cli/dev/workloads/host-pod";
import {
  call,
  countCalls,
  DELETE,
  describeResult,
  GET,
  REVIEWS_SERVICE,
  reviewsHandlers,
} from "./demo-reviews";
import type { Step } from "./demo";

/** Where the control plane listens and where the demo's pods go. */
export interface MeshDemoOptions {
  /** Plaintext ADS. @default "127.0.0.1:15010" */
  readonly xdsAddress?: string;
  /** The CA (TLS port). @default "127.0.0.1:15012" */
  readonly caAddress?: string;
  /** The first three octets of the pods' host addresses (127.x.y). @default "127.0.10" */
  readonly hostNet?: string;
  /** Calls counted for the canary split. @default 1000 */
  readonly calls?: number;
}

/** The running demo workloads. */
export interface MeshDemo {
  /** Stops every host pod. */
  stop(): void;
}

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { serviceAccountName?: string };
  status: { phase?: string; podIP?: string };
}

const NS = "shop";
const HOST = `reviews.${NS}.svc.cluster.local`;
const PORT = 9080;
const manifest = (name: string) => join(repoRoot, "examples", "demo", name);

/**
 * Polls `probe` every 200 ms until it returns a value; after `ms` throws naming `what`, with
 * what `explain` says about the state it ended in.
 */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
  explain?: () => Promise<string>,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const why = explain ? `\n${await explain().catch(e => String(e))}` : "";
      throw new Error(`demo: timed out after ${ms / 1000}s: ${what}${why}`);
    }
    await sleep(200);
  }
}

/** `rig proxy-status` as text: the table, then any NACKs. */
async function proxyStatusText(xdsAddress: string): Promise<string> {
  const reports = await fetchProxyReports({ xdsAddress, timeout: "5" });
  const { headers, rows } = proxyStatusTable(reports);
  return [table(headers, rows), ...nackLines(reports)].join("\n");
}

/** Runs the mesh part of the demo; the pods keep running until `stop()`. */
export async function runMeshDemo(step: Step, options: MeshDemoOptions = {}): Promise<MeshDemo> {
  const xdsAddress = options.xdsAddress ?? "127.0.0.1:15010";
  const caAddress = options.caAddress ?? "127.0.0.1:15012";
  const hostNet = options.hostNet ?? "127.0.10";
  const calls = options.calls ?? 1000;
  const pods: HostPod[] = [];
  const plain: grpc.Client[] = [];
  const stop = () => {
    for (const c of plain.splice(0)) c.close();
    for (const p of pods.splice(0)) p.stop();
  };
  grpcXds.register();
  const apply = (title: string, file: string) =>
    step(title, ["apply", "-f", manifest(file)], {
      shown: `apply -f ${relative(repoRoot, manifest(file))}`,
    });

  try {
    // A cluster kept from an earlier `npm start` still has the policies of its demo: start clean.
    for (const file of ["deny-delete.yaml", "strict-mtls.yaml", "canary.yaml"])
      step.quiet(["delete", "-f", manifest(file), "--ignore-not-found", "--wait=false"]);
    apply(
      "A mesh with traffic: reviews v1 (2 pods) and v2 (1 pod) behind one Service, and a productpage that calls it",
      "shop.yaml",
    );
    const running = await until("the shop's 4 pods to run with IPs", async () => {
      const res = step.quiet(["get", "pods", "-n", NS, "-o", "json"]);
      const items = (JSON.parse(res.stdout) as { items: PodJson[] }).items;
      const ok = items.filter(p => p.status.phase === "Running" && p.status.podIP);
      return ok.length === 4 && items.length === 4 ? ok : undefined;
    });

    const rootCertPem = await until("Rigging to publish istio-ca-root-cert in shop", async () => {
      const res = step.quiet([
        "get",
        "configmap",
        "istio-ca-root-cert",
        "-n",
        NS,
        "-o",
        "jsonpath={.data.root-cert\\.pem}",
      ]);
      return res.status === 0 && res.stdout.includes("BEGIN CERTIFICATE") ? res.stdout : undefined;
    });
    const tokens = new Map<string, string>();
    const tokenOf = (sa: string) => {
      let token = tokens.get(sa);
      if (!token) {
        const res = step.quiet(["create", "token", sa, "-n", NS, "--audience", "istio-ca"]);
        if (res.status !== 0) throw new Error(`demo: kubectl create token ${sa}: ${res.stderr}`);
        tokens.set(sa, (token = res.stdout.trim()));
      }
      return token;
    };

    // Each pod becomes a process on this host: the pod's identity, its certificate from the CA,
    // a loopback address; reviews pods serve, productpage dials.
    const sorted = [...running].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    let productpage: HostPod | undefined;
    for (const [i, p] of sorted.entries()) {
      const labels = p.metadata.labels ?? {};
      const pod = await prepareHostPod(
        {
          name: p.metadata.name,
          namespace: NS,
          labels,
          serviceAccount: p.spec.serviceAccountName ?? "default",
          hostAddress: `${hostNet}.${i + 1}`,
        },
        {
          xdsAddress,
          caAddress,
          caServerName: "localhost",
          rootCertPem,
          token: tokenOf(p.spec.serviceAccountName ?? "default"),
        },
      );
      pods.push(pod);
      if (labels.app === "reviews")
        await pod.serve(PORT, REVIEWS_SERVICE, reviewsHandlers(labels.version ?? "?"));
      else productpage = pod;
      step.quiet([
        "annotate",
        "pod",
        p.metadata.name,
        "-n",
        NS,
        `${HOST_ADDRESS_ANNOTATION}=${pod.pod.hostAddress}`,
        "--overwrite",
      ]);
    }
    if (!productpage) throw new Error("demo: no productpage pod");
    step(
      "kwok's nodes run nothing, so each pod runs here as a proxyless gRPC process: it joins xDS as the pod,\n" +
        "# holds the pod's SPIFFE certificate from Rigging's CA, and listens on the loopback address its\n" +
        `# ${HOST_ADDRESS_ANNOTATION} annotation names (rig dev routes to a pod there, never to its IP)`,
      [
        "get",
        "pods",
        "-n",
        NS,
        "-o",
        `custom-columns=POD:.metadata.name,IP:.status.podIP,HOST-ADDRESS:.metadata.annotations.rigging\\.dev/host-address,SERVICE-ACCOUNT:.spec.serviceAccountName`,
      ],
    );
    const client = productpage.dial(`${HOST}:${PORT}`);
    await until(
      "productpage to reach reviews through Rigging's xDS",
      async () => {
        const r = await call(client, GET, 2_000);
        return r.ok ? r : undefined;
      },
      30_000,
      () => proxyStatusText(xdsAddress),
    );

    // Canary.
    const proxies = pods.map(p => p.nodeId);
    const servers = pods.filter(p => p !== productpage).map(p => p.nodeId);
    const clientNode = [productpage.nodeId];
    let before = await ackedVersions(xdsAddress, proxies);
    apply("A canary: 80% of reviews calls to v1, 20% to v2", "canary.yaml");
    await awaitPush(xdsAddress, clientNode, "RDS", before);
    const counts = await countCalls(client, GET, calls);
    step.say(`productpage → reviews, ${calls} calls: ${formatCounts(counts)}`);

    // STRICT mTLS.
    const target = pods.find(p => p !== productpage)!;
    const direct = `${target.pod.hostAddress}:${PORT}`;
    const legacy = new grpc.Client(direct, grpc.credentials.createInsecure());
    plain.push(legacy);
    step.say(
      `\n# A client outside the mesh (plain gRPC, no certificate) calling ${target.pod.name} directly`,
    );
    step.say(`legacy → ${direct} Get: ${describeResult(await call(legacy, GET))}`);
    before = await ackedVersions(xdsAddress, proxies);
    apply(
      "STRICT mTLS in namespace shop (and ISTIO_MUTUAL for reviews' clients)",
      "strict-mtls.yaml",
    );
    await awaitPush(xdsAddress, servers, "LDS", before);
    await awaitPush(xdsAddress, clientNode, "CDS", before);
    const refused = await until(
      "the plaintext client to be refused",
      async () => {
        const fresh = new grpc.Client(direct, grpc.credentials.createInsecure());
        plain.push(fresh);
        const r = await call(fresh, GET, 2_000);
        return r.ok ? undefined : r;
      },
      30_000,
      () => proxyStatusText(xdsAddress),
    );
    step.say(`legacy → ${direct} Get: ${describeResult(refused)}`);
    const mtls = await until(
      "productpage to call reviews over mTLS",
      async () => {
        const r = await call(client, GET, 2_000);
        return r.ok ? r : undefined;
      },
      30_000,
      () => proxyStatusText(xdsAddress),
    );
    const mtlsCounts = await countCalls(client, GET, 100);
    step.say(
      `productpage → reviews Get (mTLS, as spiffe://cluster.local/ns/${NS}/sa/productpage): ${describeResult(mtls)}; ` +
        `100 more calls: ${formatCounts(mtlsCounts)}`,
    );

    // DENY on one method.
    before = await ackedVersions(xdsAddress, proxies);
    apply("DENY reviews' Delete method to everyone; Get stays open", "deny-delete.yaml");
    await awaitPush(xdsAddress, servers, "LDS", before);
    const denied = await until(
      "Delete to be denied",
      async () => {
        const r = await call(client, DELETE, 2_000);
        return !r.ok && r.code === "PERMISSION_DENIED" ? r : undefined;
      },
      30_000,
      () => proxyStatusText(xdsAddress),
    );
    step.say(`productpage → reviews Delete: ${describeResult(denied)}`);
    step.say(`productpage → reviews Get:    ${describeResult(await call(client, GET))}`);

    // proxy-status.
    await until(
      "every proxy to be in sync",
      async () => {
        const reports = await fetchProxyReports({ xdsAddress, timeout: "5" });
        const ours = reports.filter(r => proxies.includes(r.nodeId));
        const synced = (t: { state: string }) => t.state === "SYNCED";
        return ours.length === proxies.length &&
          ours.every(r => Object.values(r.types).every(synced))
          ? true
          : undefined;
      },
      30_000,
      () => proxyStatusText(xdsAddress),
    );
    step.say("\n# Every proxy Rigging serves, and whether it applied what it was sent");
    step.say("$ npx rig proxy-status");
    step.say(await proxyStatusText(xdsAddress));
    return { stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/** `v1: 803  v2: 197`, keys sorted. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.keys(counts)
    .sort()
    .map(k => `${k}: ${counts[k]}`)
    .join("  ");
}

type Versions = Map<string, Record<string, string | undefined>>;

/** Each proxy's ACKed version per type, now. */
async function ackedVersions(xdsAddress: string, nodeIds: readonly string[]): Promise<Versions> {
  const out: Versions = new Map();
  for (const r of await fetchProxyReports({ xdsAddress, timeout: "5" })) {
    if (!nodeIds.includes(r.nodeId)) continue;
    out.set(
      r.nodeId,
      Object.fromEntries(Object.entries(r.types).map(([t, v]) => [t, v.acked?.version])),
    );
  }
  return out;
}

/**
 * Waits until each of `nodeIds` has ACKed a `type` version other than the one in `before`: the
 * change reached the proxy and it applied it.
 */
async function awaitPush(
  xdsAddress: string,
  nodeIds: readonly string[],
  type: string,
  before: Versions,
): Promise<void> {
  await until(
    `${nodeIds.join(", ")} to apply the new ${type}`,
    async () => {
      const now = await ackedVersions(xdsAddress, nodeIds);
      const done = nodeIds.every(id => {
        const v = now.get(id)?.[type];
        return v !== undefined && v !== before.get(id)?.[type];
      });
      return done ? true : undefined;
    },
    30_000,
    () => proxyStatusText(xdsAddress),
  );
  await sleep(150); // the ACK precedes the resolver's and the server's update by a tick
}
