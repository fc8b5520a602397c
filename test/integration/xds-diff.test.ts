/**
 * Rigging's xDS held against Istio's own (issue 15, item 2). istiod (pilot-discovery built from
 * Istio's Go module, test/harness/istiod.ts) and the built Rigging module watch the same local
 * API server; for each corpus the suite connects to both plaintext ADS ports as the same proxy
 * (Istio's node id and metadata for a real pod of the cluster, or Istio's benchmark proxy) and
 * compares CDS, EDS, LDS and RDS after the normalisation in test/harness/xds-diff/normalise.ts.
 * Both read one mesh config, ConfigMap `istio` in istio-system (istiod is given no mesh config
 * file), holding the ext_authz providers of the CUSTOM AuthorizationPolicy corpus and the mesh's
 * TLS settings (`meshMTLS`, `tlsDefaults`).
 *
 * Every remaining difference is listed with its verdict in xds-diff.known.json beside this file:
 * a difference not listed fails the test, and so does a listed one that no longer occurs (mark
 * it fixed by deleting it). `RIGGING_XDS_DIFF_WRITE=1` rewrites the list, keeping the verdicts
 * already written and adding new keys as "open". The resources themselves are written as JSON
 * under `RIGGING_XDS_DIFF_OUT` (default: a temp folder, printed). `RIGGING_XDS_DIFF_ONLY` (corpus
 * names, comma-separated) runs only those corpora.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { encodeResource, type ResourceObject } from "../../xds/encode/encode-resource";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { startIstiod, pilotDiscoveryBinary, type RunningIstiod } from "../harness/istiod";
import { describeViolations, runEnvoyRules, type GroupedResource } from "../harness/envoy-rules";
import { create, eventually, kubectl } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { compareDumps, differenceKeys, TABLE_HEADER, tableRows } from "../harness/xds-diff/compare";
import {
  authorizationPolicyCorpus,
  benchmarkCorpus,
  benchmarkGatewayCorpus,
  bookinfoCorpus,
  customAuthorizationPolicyCorpus,
  suiteMeshConfig,
  gatewayTlsCorpus,
  inboundPortsCorpus,
  knativeGatewayCorpus,
  telemetryCorpus,
  peerAuthenticationCorpus,
  type Corpus,
} from "../harness/xds-diff/corpora";
import {
  dumpXds,
  type DumpOptions,
  type ProxyIdentity,
  type XdsDump,
} from "../harness/xds-diff/dump";
import { stringify } from "yaml";

const KNOWN_FILE = join(__dirname, "xds-diff.known.json");
/**
 * `open`: not yet fixed or judged harmless; `kept`: on purpose, with the reason; `fixed`: found
 * by this suite and fixed in Rigging, kept in the list so that it fails if it ever comes back.
 */
type Verdict = { verdict: "open" | "kept" | "fixed"; reason: string };
type Known = Record<string, Record<string, Verdict>>;

/**
 * Istio's benchmark config sets that both control planes accept and that configure the
 * benchmark's sidecar at 1.1.1.1 in the corpus's namespace. The gateway sets configure a router
 * instead (BENCHMARK_GATEWAY_SETS, and knative-gateway.yaml, whose objects in istio-system,
 * knative-serving and default are renamed into three namespaces the corpus owns:
 * knativeGatewayCorpus); telemetry-api.yaml's mesh-wide Telemetry is moved into the corpus's
 * namespace (telemetryCorpus). Left out: waypoint.yaml (ambient) and secrets.yaml (no proxy
 * config; its Secret is gateway-tls's credential).
 */
const BENCHMARK_SETS = [
  "http.yaml",
  "tcp.yaml",
  "authorizationpolicy.yaml",
  "auto.yaml",
  "disabled.yaml",
  "empty.yaml",
  "externalname.yaml",
  "serviceentry-workloadentry.yaml",
  "strict.yaml",
  "tls.yaml",
  "virtualservice.yaml",
];

/** Istio's gateway benchmark sets, each dumped as the router at 1.1.1.1 its Gateways select. */
const BENCHMARK_GATEWAY_SETS = ["gateways.yaml", "gateways-shared.yaml"];

/** `RIGGING_XDS_DIFF_ONLY=bookinfo,authz` runs only those corpora (by name). */
const ONLY = process.env.RIGGING_XDS_DIFF_ONLY?.split(",").filter(Boolean);

const CORPORA: (() => Corpus)[] = [
  bookinfoCorpus,
  ...BENCHMARK_SETS.map(f => () => benchmarkCorpus(f)),
  ...BENCHMARK_GATEWAY_SETS.map(f => () => benchmarkGatewayCorpus(f)),
  () => knativeGatewayCorpus(),
  () => telemetryCorpus(),
  peerAuthenticationCorpus,
  authorizationPolicyCorpus,
  customAuthorizationPolicyCorpus,
  gatewayTlsCorpus,
  inboundPortsCorpus,
].filter(c => !ONLY || ONLY.includes(c().name));

const names = (d: XdsDump) => JSON.stringify(Object.values(d).map(m => [...m.keys()].sort()));

/** Dumps until two consecutive answers carry the same names: both servers have settled. */
async function settledDump(
  port: number,
  proxy: ProxyIdentity,
  options: DumpOptions = {},
): Promise<XdsDump> {
  let last = await dumpXds(port, proxy, options);
  for (let i = 0; i < 6; i++) {
    const next = await dumpXds(port, proxy, options);
    if (names(next) === names(last)) return next;
    last = next;
  }
  return last;
}

function writeDump(dir: string, dump: XdsDump): void {
  mkdirSync(dir, { recursive: true });
  for (const [type, resources] of Object.entries(dump)) {
    writeFileSync(
      join(dir, `${type}.json`),
      JSON.stringify(
        Object.fromEntries([...resources].sort(([a], [b]) => a.localeCompare(b))),
        null,
        2,
      ),
    );
  }
}

describe("Rigging's xDS against istiod's for the same cluster", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let istiod: RunningIstiod;
  let riggingPort: number;
  const known: Known = existsSync(KNOWN_FILE)
    ? (JSON.parse(readFileSync(KNOWN_FILE, "utf8")) as Known)
    : {};
  const seen: Known = {};
  const out = process.env.RIGGING_XDS_DIFF_OUT ?? join(tmpdir(), "rigging-xds-diff");
  const tables: string[] = [];
  /** Per corpus: common resources and those equal after normalisation, over its proxies. */
  const totals: string[] = [];

  beforeAll(async () => {
    pilotDiscoveryBinary(); // fails at once, with the build command, if the binary is missing
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    await create(cluster, "/api/v1/namespaces", { metadata: { name: "istio-system" } });
    // One mesh config for both control planes, read where both read it in a cluster (ConfigMap
    // `istio` in istio-system), before either starts: the ext_authz providers the CUSTOM
    // AuthorizationPolicy corpus names, and the mesh's TLS settings.
    await create(cluster, "/api/v1/namespaces/istio-system/configmaps", {
      metadata: { name: "istio", namespace: "istio-system" },
      data: { mesh: suiteMeshConfig() },
    });
    riggingPort = await freePort();
    session = await startTestModule({ env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${riggingPort}` } });
    // After the module: it installs the Istio CRDs that istiod's informers need.
    istiod = await startIstiod({
      kubeconfig: cluster.kubeconfigPath,
      meshConfigFromConfigMap: true,
    });
    await istiod.ready(90_000);
    // A dump that fails names its port: say which control plane listens where.
    console.log(`xDS: istiod on 127.0.0.1:${istiod.grpcPort}, Rigging on 127.0.0.1:${riggingPort}`);
  }, 240_000);

  afterAll(async () => {
    if (tables.length > 0) {
      console.log(
        `xDS diff (resources in istiod / in Rigging / common / equal after normalisation; JSON under ${out}):\n${TABLE_HEADER}\n${tables.join("\n")}\n${totals.join("\n")}`,
      );
    }
    if (process.env.RIGGING_XDS_DIFF_WRITE) {
      // Corpora this run left out (RIGGING_XDS_DIFF_ONLY) keep their entries.
      const merged: Known = { ...known };
      for (const [corpus, keys] of Object.entries(seen)) {
        merged[corpus] = {};
        const fixed = Object.entries(known[corpus] ?? {}).filter(([, v]) => v.verdict === "fixed");
        const all = [...Object.keys(keys), ...fixed.map(([k]) => k)];
        for (const k of [...new Set(all)].sort())
          merged[corpus][k] = known[corpus]?.[k] ?? keys[k]!;
      }
      writeFileSync(KNOWN_FILE, `${JSON.stringify(merged, null, 2)}\n`);
    }
    await istiod?.stop();
    await session?.stop();
    await cluster?.stop();
  });

  /** A dump as Envoy receives it (re-encoded against Envoy's protos), grouped by proxy. */
  function encodedDump(group: string, dump: XdsDump): GroupedResource[] {
    const out: GroupedResource[] = [];
    for (const byName of Object.values(dump)) {
      for (const [resourceName, object] of byName) {
        const encoded = encodeResource(object as ResourceObject);
        if (!encoded.ok) throw new Error(`${group} ${resourceName}: ${encoded.errors.join("; ")}`);
        out.push({ group, resource: encoded.value });
      }
    }
    return out;
  }

  async function resolveProxy(
    corpus: Corpus,
    p: Corpus["proxies"][number],
  ): Promise<ProxyIdentity> {
    if ("identity" in p) return p.identity;
    return eventually(
      `a running pod ${p.selector} in ${p.namespace}`,
      async () => {
        const res = await cluster.api(
          "GET",
          `/api/v1/namespaces/${p.namespace}/pods?labelSelector=${encodeURIComponent(p.selector)}`,
        );
        const pod = (
          res.body as {
            items?: {
              metadata: { name: string; labels?: Record<string, string> };
              spec: {
                serviceAccountName?: string;
                containers?: { ports?: Record<string, unknown>[] }[];
              };
              status: { podIP?: string; phase?: string };
            }[];
          }
        ).items?.find(x => x.status.podIP && x.status.phase === "Running");
        if (!pod) return undefined;
        return {
          kind: p.kind,
          ip: pod.status.podIP!,
          podName: pod.metadata.name,
          namespace: corpus.namespace,
          labels: pod.metadata.labels ?? {},
          serviceAccount: pod.spec.serviceAccountName ?? "default",
          podPorts: (pod.spec.containers ?? []).flatMap(c => c.ports ?? []),
        };
      },
      120_000,
    );
  }

  it.each(CORPORA.map(c => [c().name, c] as const))(
    "%s: every difference is known, with a verdict",
    async (name, make) => {
      const corpus = make();
      const namespaces = [corpus.namespace, ...(corpus.extraNamespaces ?? [])];
      for (const ns of namespaces)
        await create(cluster, "/api/v1/namespaces", { metadata: { name: ns } });
      const refused: string[] = [];
      for (const f of corpus.files) {
        // Documents naming no namespace go into the corpus's own; the others keep theirs. A file
        // naming a namespace the corpus does not own (bookinfo's certmanager-gateway.yaml, in
        // istio-system) is refused whole, as `kubectl apply -n` refuses it: the corpus could
        // not clean it up.
        const foreign = f.docs
          .map(d => (d.metadata as { namespace?: string } | undefined)?.namespace)
          .find(ns => ns !== undefined && !namespaces.includes(ns));
        if (foreign !== undefined) {
          refused.push(`${f.file}: names namespace ${foreign}, which the corpus does not own`);
          continue;
        }
        const docs = f.docs.map(d => {
          const metadata = (d.metadata ?? {}) as Record<string, unknown>;
          return metadata.namespace
            ? d
            : { ...d, metadata: { ...metadata, namespace: corpus.namespace } };
        });
        const res = kubectl(
          cluster,
          ["apply", "-f", "-"],
          docs.map(d => stringify(d)).join("---\n"),
        );
        if (res.status !== 0) refused.push(`${f.file}: ${res.stderr.trim().split("\n")[0]}`);
      }
      if (refused.length > 0)
        console.log(
          `${name}: not applied (refused by the API server or Rigging):\n  ${refused.join("\n  ")}`,
        );
      const keys: Record<string, Verdict> = {};
      const sent: GroupedResource[] = [];
      const istiodClusters = new Map<string, Set<string>>();
      const sum = { common: 0, equal: 0 };
      for (const p of corpus.proxies) {
        const proxy = await resolveProxy(corpus, p);
        const [fromIstiod, fromRigging] = [
          await settledDump(istiod.grpcPort, proxy),
          // With the credentialName secrets it serves over ADS, so that Envoy's rules see them.
          await settledDump(riggingPort, proxy, { secrets: true }),
        ];
        writeDump(join(out, name, p.label.replace(/\W+/g, "-"), "istiod"), fromIstiod);
        writeDump(join(out, name, p.label.replace(/\W+/g, "-"), "rigging"), fromRigging);
        sent.push(...encodedDump(p.label, fromRigging));
        istiodClusters.set(p.label, new Set(fromIstiod.CDS.keys()));
        const results = compareDumps(fromIstiod, fromRigging);
        for (const r of results) {
          sum.common += r.common;
          sum.equal += r.equal;
        }
        tables.push(...tableRows(name, p.label, results));
        for (const k of differenceKeys(p.label, results).keys()) {
          keys[k] = { verdict: "open", reason: "not yet judged" };
        }
      }
      seen[name] = keys;
      const [common, equal] = [sum.common, sum.equal];
      totals.push(
        `${name}: ${equal} of ${common} common resources equal (${common ? Math.round((100 * equal) / common) : 100}%)`,
      );
      // Leave the cluster as found for the next corpus.
      kubectl(cluster, ["delete", "namespace", ...namespaces, "--wait=false"]);
      for (const ns of namespaces) {
        await eventually(
          `namespace ${ns} to be gone`,
          async () =>
            (await cluster.api("GET", `/api/v1/namespaces/${ns}`)).status === 404
              ? true
              : undefined,
          120_000,
        );
      }
      // Envoy's own rules on everything Rigging sent each proxy: field rules (ValidateAll) and
      // the cross-resource checks, one proxy's snapshot at a time. A route naming a cluster
      // the snapshot lacks loads (validate_clusters is false, as istiod's) and answers 503: it
      // is allowed only where istiod lacks that cluster too (a subset no DestinationRule
      // defines, in bookinfo's samples); anything else is a refusal or a Rigging-only gap.
      const rules = runEnvoyRules(sent, { cross: true });
      const sharedGap = (v: (typeof rules.violations)[number]) => {
        const missing = /names cluster "([^"]+)"/.exec(v.message)?.[1];
        return (
          v.rule === "cluster_exists" &&
          missing !== undefined &&
          !istiodClusters.get(v.group ?? "")?.has(missing)
        );
      };
      const refusals = rules.violations.filter(v => !sharedGap(v));
      console.log(
        `${name}: Envoy's rules over ${rules.resources} resources Rigging sent: ${refusals.length} violations` +
          ` (${rules.violations.length - refusals.length} routes to a cluster istiod does not send either)`,
      );
      expect(describeViolations(refusals)).toEqual(describeViolations([]));
      if (process.env.RIGGING_XDS_DIFF_WRITE) return;
      const listed = known[name] ?? {};
      const unknown = Object.keys(keys).filter(k => !(k in listed));
      const stale = Object.keys(listed).filter(k => !(k in keys) && listed[k]!.verdict !== "fixed");
      const back = Object.keys(keys).filter(k => listed[k]?.verdict === "fixed");
      expect({ unknown, stale, back }).toEqual({ unknown: [], stale: [], back: [] });
    },
    420_000,
  );
});
