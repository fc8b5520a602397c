/**
 * The configurations the xDS diff suite applies, read in place from Istio's own files under
 * ../shared/istio: bookinfo with its networking samples, and the config sets Istio benchmarks
 * pilot with (pilot/pkg/xds/testdata/benchmarks), whose Go templates are rendered here with a
 * small service count.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { sharedPath } from "../shared";
import type { ProxyIdentity } from "./dump";

/** One file of a corpus: where it came from and its documents. */
export interface CorpusFile {
  readonly file: string;
  readonly docs: readonly Record<string, unknown>[];
}

/** A proxy to dump: either a pod found by label once the corpus runs, or a fixed identity. */
export type CorpusProxy =
  | {
      readonly label: string;
      readonly kind: "sidecar" | "router";
      readonly namespace: string;
      readonly selector: string;
    }
  | { readonly label: string; readonly identity: ProxyIdentity };

/** A corpus: files applied in order (each file on its own, so one refused file is skipped). */
export interface Corpus {
  readonly name: string;
  readonly namespace: string;
  /**
   * Further namespaces the corpus creates before its files and deletes after its dumps, for
   * documents that name them (`metadata.namespace`); documents naming none go into `namespace`.
   */
  readonly extraNamespaces?: readonly string[];
  readonly files: readonly CorpusFile[];
  readonly proxies: readonly CorpusProxy[];
}

function docsOf(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map(d => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => !!d && typeof d === "object" && "kind" in d);
}

/**
 * Renders the subset of Go's text/template (with Sprig's `until`, `div`, `mod`) Istio's
 * benchmark configs use: `{{- range $i := until .X }}…{{- end }}`, `{{$i}}`, `{{div $i 255 }}`,
 * `{{mod $j $.Services}}`, with `{{-` trimming the whitespace before it.
 */
export function renderBenchmarkTemplate(
  text: string,
  values: Readonly<Record<string, number>>,
): string {
  type Node =
    | { text: string }
    | { expr: string }
    | { range: { v: string; n: string; body: Node[] } };
  const tokens = text.split(/(\{\{-?\s*[^}]*?\s*-?\}\})/);
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let trimNext = false;
  for (const tok of tokens) {
    const m = /^\{\{(-?)\s*(.*?)\s*(-?)\}\}$/.exec(tok);
    const top = stack[stack.length - 1]!;
    if (!m) {
      top.push({ text: trimNext ? tok.replace(/^\s+/, "") : tok });
      trimNext = false;
      continue;
    }
    const [, trimLeft, body = "", trimRight] = m;
    if (trimLeft) {
      const last = top[top.length - 1];
      if (last && "text" in last) last.text = last.text.replace(/\s+$/, "");
    }
    trimNext = !!trimRight;
    const range = /^range\s+(\$\w+)\s*:=\s*until\s+\$?\.(\w+)$/.exec(body);
    if (range) {
      const node = { range: { v: range[1]!, n: range[2]!, body: [] as Node[] } };
      top.push(node);
      stack.push(node.range.body);
    } else if (body === "end") {
      stack.pop();
    } else {
      top.push({ expr: body });
    }
  }
  const evalArg = (a: string, vars: Record<string, number>): number => {
    if (a.startsWith("$.")) return values[a.slice(2)] ?? NaN;
    if (a.startsWith(".")) return values[a.slice(1)] ?? NaN;
    if (a.startsWith("$")) return vars[a] ?? NaN;
    return Number(a);
  };
  const evalExpr = (e: string, vars: Record<string, number>): string => {
    const [f = "", ...args] = e.split(/\s+/);
    if (f === "div") return String(Math.floor(evalArg(args[0]!, vars) / evalArg(args[1]!, vars)));
    if (f === "mod") return String(evalArg(args[0]!, vars) % evalArg(args[1]!, vars));
    const v = evalArg(f, vars);
    if (Number.isNaN(v)) throw new Error(`benchmark template: cannot evaluate {{${e}}}`);
    return String(v);
  };
  const render = (nodes: Node[], vars: Record<string, number>): string =>
    nodes
      .map(n => {
        if ("text" in n) return n.text;
        if ("expr" in n) return evalExpr(n.expr, vars);
        const count = values[n.range.n] ?? 0;
        let out = "";
        for (let i = 0; i < count; i++) out += render(n.range.body, { ...vars, [n.range.v]: i });
        return out;
      })
      .join("");
  return render(root, {});
}

/** Bookinfo's app plus every file of samples/bookinfo/networking (applied in name order). */
export function bookinfoCorpus(): Corpus {
  const dir = sharedPath("istio", "samples", "bookinfo");
  const networking = readdirSync(join(dir, "networking"))
    .filter(f => f.endsWith(".yaml"))
    .sort();
  const ingress: Record<string, unknown> = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "istio-ingressgateway" },
    spec: {
      selector: { matchLabels: { istio: "ingressgateway" } },
      template: {
        metadata: { labels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
        spec: { containers: [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.31.0" }] },
      },
    },
  };
  return {
    name: "bookinfo",
    namespace: "bookinfo",
    files: [
      {
        file: "platform/kube/bookinfo.yaml",
        docs: docsOf(readFileSync(join(dir, "platform/kube/bookinfo.yaml"), "utf8")),
      },
      { file: "(ingress gateway pod)", docs: [ingress] },
      ...networking.map(f => ({
        file: `networking/${f}`,
        docs: docsOf(readFileSync(join(dir, "networking", f), "utf8")),
      })),
    ],
    proxies: [
      {
        label: "productpage (sidecar)",
        kind: "sidecar",
        namespace: "bookinfo",
        selector: "app=productpage",
      },
      {
        label: "reviews-v2 (sidecar)",
        kind: "sidecar",
        namespace: "bookinfo",
        selector: "app=reviews,version=v2",
      },
      {
        label: "ingressgateway (router)",
        kind: "router",
        namespace: "bookinfo",
        selector: "istio=ingressgateway",
      },
    ],
  };
}

/**
 * One of Istio's benchmark config sets, rendered with `services` services (and instances), in its
 * own namespace. The proxy is the one Istio's benchmark uses: a sidecar at 1.1.1.1, the address of
 * the `proxy-service-instance` ServiceEntry endpoint those files declare.
 */
export function benchmarkCorpus(file: string, services = 10): Corpus {
  const text = readFileSync(
    sharedPath("istio", "pilot", "pkg", "xds", "testdata", "benchmarks", file),
    "utf8",
  );
  const name = `bench-${file.replace(/\.yaml$/, "")}`;
  return {
    name,
    namespace: name,
    files: [
      {
        file: `benchmarks/${file}`,
        docs: docsOf(renderBenchmarkTemplate(text, { Services: services, Instances: services })),
      },
    ],
    proxies: [
      {
        label: "1.1.1.1 (sidecar)",
        identity: {
          kind: "sidecar",
          ip: "1.1.1.1",
          podName: "bench",
          namespace: name,
          labels: { app: "bench" },
          serviceAccount: "default",
        },
      },
    ],
  };
}

/**
 * Istio's telemetry-api.yaml benchmark set: a Telemetry in istio-system (Prometheus metrics and
 * the `envoy-json` access log for the whole mesh) and the benchmark's ServiceEntries. Its
 * documents are moved into the corpus's namespace, so the Telemetry applies to that namespace
 * instead of the mesh: the same proxy, the same effect, and the corpus cleans up as the others.
 * The mesh config names no `envoy-json` provider, so neither control plane writes an access log;
 * both write the same `istio.stats` filters.
 */
export function telemetryCorpus(services = 10): Corpus {
  const base = benchmarkCorpus("telemetry-api.yaml", services);
  const docs = inNamespace(base.files[0]!.docs, base.namespace);
  return { ...base, files: [{ file: base.files[0]!.file, docs }] };
}

/**
 * Istio's benchmark gateway at 1.1.1.1 in `namespace`, carrying the label the benchmark sets'
 * Gateways select (`istio.io/benchmark: "true"`).
 */
function benchmarkRouter(namespace: string): CorpusProxy {
  return {
    label: "1.1.1.1 (router)",
    identity: {
      kind: "router",
      ip: "1.1.1.1",
      podName: "bench-gateway",
      namespace,
      labels: { "istio.io/benchmark": "true" },
      serviceAccount: "default",
    },
  };
}

/**
 * One of Istio's gateway benchmark sets (gateways.yaml, gateways-shared.yaml), with its proxy
 * as the router it configures: Istio's benchmark gateway at 1.1.1.1 carrying the label its
 * Gateways select (`istio.io/benchmark: "true"`). The sets put their Gateways and
 * VirtualServices in a namespace `gateway`; they are moved into the corpus's namespace, and the
 * VirtualServices' `gateway/<name>` references with them, so the corpus cleans up as the others.
 */
export function benchmarkGatewayCorpus(file: string, services = 10): Corpus {
  const base = benchmarkCorpus(file, services);
  const ns = base.namespace;
  const moveGatewayRef = (g: string) => (g.startsWith("gateway/") ? `${ns}/${g.slice(8)}` : g);
  const docs = inNamespace(base.files[0]!.docs, ns).map(d => {
    if (d.kind !== "VirtualService") return d;
    const spec = d.spec as { gateways?: string[] };
    return { ...d, spec: { ...spec, gateways: spec.gateways?.map(moveGatewayRef) } };
  });
  return {
    ...base,
    files: [{ file: base.files[0]!.file, docs }],
    proxies: [benchmarkRouter(ns)],
  };
}

/**
 * Istio's knative-gateway.yaml benchmark set, as knative configures Istio for a few KServices:
 * two ServiceEntries in istio-system whose endpoint is the gateway itself (1.1.1.1, carrying the
 * `istio.io/benchmark` label), the Gateways `knative-ingress-gateway` (80) and
 * `knative-local-gateway` (8081) in knative-serving selecting it, and per service two
 * VirtualServices in default bound to them across namespaces. The set's three namespaces are
 * renamed into namespaces the corpus owns (`default` becomes the corpus's own, `istio-system` and
 * `knative-serving` get the corpus name as prefix), consistently: `metadata.namespace`, the
 * `<ns>/<gateway>` references (the VirtualServices' and their matches' `gateways`) and the
 * namespace label of every host and authority match (`hello.default`,
 * `…default.svc.cluster.local`, `…istio-system.svc.cluster.local`). Header values (`Knative-Serving-Namespace: default`) are
 * data and stay as written. The proxy is Istio's benchmark gateway: a router at 1.1.1.1 in
 * default's stand-in.
 */
export function knativeGatewayCorpus(services = 10): Corpus {
  const base = benchmarkCorpus("knative-gateway.yaml", services);
  const ns = base.namespace;
  const renamed: Readonly<Record<string, string>> = {
    default: ns,
    "istio-system": `${ns}-istio-system`,
    "knative-serving": `${ns}-knative-serving`,
  };
  const rename = (n: string) => renamed[n] ?? n;
  const host = (h: string) => {
    const labels = h.split(".");
    if (labels.length > 1) labels[1] = rename(labels[1]!);
    return labels.join(".");
  };
  const gatewayRef = (g: string) => {
    const slash = g.indexOf("/");
    return slash < 0 ? g : `${rename(g.slice(0, slash))}/${g.slice(slash + 1)}`;
  };
  /** Rewrites hosts and gateway references wherever they sit in a spec. */
  const walk = (v: unknown, key = ""): unknown => {
    if (typeof v === "string") {
      if (key === "host" || key === "hosts") return host(v);
      if (key === "gateways") return gatewayRef(v);
      return v;
    }
    if (Array.isArray(v)) return v.map(x => walk(x, key));
    if (key === "authority" && v && typeof v === "object") {
      // The authority match (`prefix: hello.default`) follows the hosts it matches.
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, typeof x === "string" ? host(x) : x]),
      );
    }
    if (v && typeof v === "object") {
      // Header maps hold data, not references.
      if (key === "set" || key === "add" || key === "headers") {
        if (!("request" in v) && !("response" in v)) return v;
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  const docs = base.files[0]!.docs.map(d => {
    const metadata = (d.metadata ?? {}) as Record<string, unknown>;
    return {
      ...d,
      metadata: { ...metadata, namespace: rename(String(metadata.namespace ?? "default")) },
      spec: walk(d.spec),
    };
  });
  return {
    ...base,
    extraNamespaces: [renamed["istio-system"]!, renamed["knative-serving"]!],
    files: [{ file: base.files[0]!.file, docs }],
    proxies: [benchmarkRouter(ns)],
  };
}

/** Every document of `docs` moved into `namespace` (Istio's testdata names its own). */
function inNamespace(
  docs: readonly Record<string, unknown>[],
  namespace: string,
): Record<string, unknown>[] {
  return docs.map(d => {
    const metadata = (d.metadata ?? {}) as Record<string, unknown>;
    return { ...d, metadata: { ...metadata, namespace } };
  });
}

/**
 * A Deployment (kwok runs its pod) and its Service for a workload `app`. The pod carries the
 * `security.istio.io/tlsMode: istio` label Istio's injector adds, so that both control planes
 * see it as a mesh workload (auto mTLS, endpoint tlsMode metadata).
 */
function workload(
  app: string,
  ports: readonly { name: string; port: number; targetPort: number }[],
  labels: Readonly<Record<string, string>> = {},
  serviceAccount = app,
): Record<string, unknown>[] {
  const podLabels = { app, "security.istio.io/tlsMode": "istio", ...labels };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount } },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: app, labels: { app } },
      spec: {
        selector: { app },
        ports: ports.map(p => ({ name: p.name, port: p.port, targetPort: p.targetPort })),
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: [app, ...Object.values(labels)].join("-") },
      spec: {
        selector: { matchLabels: podLabels },
        template: {
          metadata: { labels: podLabels },
          spec: {
            serviceAccountName: serviceAccount,
            containers: [
              {
                name: "app",
                image: `docker.io/example/${app}:1`,
                ports: ports.map(p => ({ containerPort: p.targetPort })),
              },
            ],
          },
        },
      },
    },
  ];
}

/** A sidecar proxy for the pod of `app` (and `labels`) in `namespace`. */
function sidecarOf(
  namespace: string,
  app: string,
  labels: Readonly<Record<string, string>> = {},
): CorpusProxy {
  const selector = Object.entries({ app, ...labels })
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return {
    label: `${[app, ...Object.values(labels)].join("-")} (sidecar)`,
    kind: "sidecar",
    namespace,
    selector,
  };
}

const HTTP_AND_TCP = [
  { name: "http", port: 80, targetPort: 8080 },
  { name: "tcp", port: 9000, targetPort: 9000 },
];

/**
 * PeerAuthentication: a namespace-wide STRICT policy, a workload that relaxes it to
 * PERMISSIVE, one with port-level overrides (DISABLE on its HTTP port, PERMISSIVE on its TCP
 * port) and one that disables mTLS but for a STRICT port. Each workload's sidecar is dumped:
 * inbound chains follow its own policy, outbound clusters the destinations' (auto mTLS).
 */
export function peerAuthenticationCorpus(): Corpus {
  const namespace = "peer-authn";
  const pa = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name },
    spec,
  });
  const apps = ["pa-strict", "pa-permissive", "pa-port", "pa-disable"];
  return {
    name: "peer-authn",
    namespace,
    files: [
      { file: "(workloads)", docs: apps.flatMap(a => workload(a, HTTP_AND_TCP)) },
      {
        file: "(PeerAuthentication STRICT, PERMISSIVE, port-level)",
        docs: [
          pa("default", { mtls: { mode: "STRICT" } }),
          pa("permissive", {
            selector: { matchLabels: { app: "pa-permissive" } },
            mtls: { mode: "PERMISSIVE" },
          }),
          pa("port-level", {
            selector: { matchLabels: { app: "pa-port" } },
            portLevelMtls: { "8080": { mode: "DISABLE" }, "9000": { mode: "PERMISSIVE" } },
          }),
          pa("disable", {
            selector: { matchLabels: { app: "pa-disable" } },
            mtls: { mode: "DISABLE" },
            portLevelMtls: { "9000": { mode: "STRICT" } },
          }),
        ],
      },
    ],
    proxies: apps.map(a => sidecarOf(namespace, a)),
  };
}

/**
 * AuthorizationPolicy: the inputs of Istio's RBAC builder tests
 * (pilot/pkg/security/authz/builder/testdata/{http,tcp}/*-in.yaml), moved into one namespace
 * with an `httpbin` v1 workload serving an HTTP and a TCP port, each file's policies renamed
 * after the file so that all of them apply at once. CUSTOM policies, which name the mesh
 * config's extension providers, are the corpus of {@link customAuthorizationPolicyCorpus}.
 */
export function authorizationPolicyCorpus(): Corpus {
  const namespace = "authz";
  const dir = sharedPath("istio", "pilot", "pkg", "security", "authz", "builder", "testdata");
  const files: CorpusFile[] = [];
  for (const sub of ["http", "tcp"]) {
    for (const f of readdirSync(join(dir, sub)).sort()) {
      if (!f.endsWith("-in.yaml") || f.startsWith("custom-")) continue;
      const stem = `${sub}-${f.replace(/-in\.yaml$/, "")}`;
      const docs = inNamespace(docsOf(readFileSync(join(dir, sub, f), "utf8")), namespace).map(
        d => {
          const metadata = d.metadata as Record<string, unknown>;
          const name = `${stem}-${String(metadata.name)}`.slice(0, 63).replace(/-+$/, "");
          return { ...d, metadata: { ...metadata, name } };
        },
      );
      files.push({ file: `authz/builder/testdata/${sub}/${f}`, docs });
    }
  }
  return {
    name: "authz",
    namespace,
    files: [
      {
        file: "(workload httpbin v1)",
        docs: workload(
          "httpbin",
          [
            { name: "http", port: 8000, targetPort: 80 },
            { name: "tcp", port: 9000, targetPort: 9000 },
          ],
          { version: "v1" },
        ),
      },
      ...files,
    ],
    proxies: [sidecarOf(namespace, "httpbin", { version: "v1" })],
  };
}

/**
 * Service ports as a workload serves them (istiod's GetProxyServiceTargetsByPod, then one chain
 * per workload port): a DNS server whose Service has 53 over UDP and over TCP (kube-dns's
 * shape) beside a metrics port, and a web server whose Service sends two ports to one container
 * port and names its third target port (`targetPort: grpc-port`, resolved against the pod's
 * container ports).
 */
export function inboundPortsCorpus(): Corpus {
  const namespace = "inbound-ports";
  const meshed = (app: string) => ({ app, "security.istio.io/tlsMode": "istio" });
  const deployment = (app: string, ports: Record<string, unknown>[]) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app },
    spec: {
      selector: { matchLabels: meshed(app) },
      template: {
        metadata: { labels: meshed(app) },
        spec: {
          serviceAccountName: app,
          containers: [{ name: "app", image: `docker.io/example/${app}:1`, ports }],
        },
      },
    },
  });
  const service = (app: string, ports: Record<string, unknown>[]) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: app, labels: { app } },
    spec: { selector: { app }, ports },
  });
  const account = (app: string) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: app },
  });
  return {
    name: "inbound-ports",
    namespace,
    files: [
      {
        file: "(dns: 53 over UDP and TCP, and metrics)",
        docs: [
          account("dns"),
          service("dns", [
            { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
            { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
            { name: "metrics", port: 9153, targetPort: 9153 },
          ]),
          deployment("dns", [
            { name: "dns", containerPort: 53, protocol: "UDP" },
            { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
            { name: "metrics", containerPort: 9153 },
          ]),
        ],
      },
      {
        file: "(web: two ports to one target, a named target port)",
        docs: [
          account("web"),
          service("web", [
            { name: "http", port: 80, targetPort: 8080 },
            { name: "http-alt", port: 8080, targetPort: 8080 },
            { name: "grpc", port: 9090, targetPort: "grpc-port" },
          ]),
          deployment("web", [
            { name: "http", containerPort: 8080 },
            { name: "grpc-port", containerPort: 9091 },
          ]),
        ],
      },
    ],
    proxies: [sidecarOf(namespace, "dns"), sidecarOf(namespace, "web")],
  };
}

/**
 * An ingress gateway with a SIMPLE and a MUTUAL HTTPS server on 443 (SNI-matched, one
 * `credentialName` Secret holding the certificate, key and client CA) and a PASSTHROUGH TLS
 * server on 8443, with the VirtualServices bound to them, and SIMPLE TLS and cookie affinity
 * from the gateway to `web` (a DestinationRule). The certificate and key are Istio's
 * own benchmark credential (pilot/pkg/xds/testdata/benchmarks/secrets.yaml).
 */
export function gatewayTlsCorpus(): Corpus {
  const namespace = "gateway-tls";
  const credential = docsOf(
    renderBenchmarkTemplate(
      readFileSync(
        sharedPath("istio", "pilot", "pkg", "xds", "testdata", "benchmarks", "secrets.yaml"),
        "utf8",
      ),
      { Services: 1 },
    ),
  )[0]!;
  const data = credential.data as Record<string, string>;
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "gw-cred" },
    type: "kubernetes.io/tls",
    data: { "tls.crt": data["tls.crt"], "tls.key": data["tls.key"], "ca.crt": data["tls.crt"] },
  };
  const ingress: Record<string, unknown> = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "istio-ingressgateway" },
    spec: {
      selector: { matchLabels: { istio: "ingressgateway" } },
      template: {
        metadata: { labels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
        spec: { containers: [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.31.0" }] },
      },
    },
  };
  const https = (host: string, mode: string) => ({
    port: { number: 443, name: `https-${mode.toLowerCase()}`, protocol: "HTTPS" },
    hosts: [host],
    tls: { mode, credentialName: "gw-cred" },
  });
  return {
    name: "gateway-tls",
    namespace,
    files: [
      { file: "(credential Secret)", docs: [secret] },
      {
        file: "(backends and gateway pod)",
        docs: [
          ...workload("web", [{ name: "http", port: 80, targetPort: 8080 }]),
          ...workload("tls-backend", [{ name: "https", port: 443, targetPort: 8443 }]),
          ingress,
        ],
      },
      {
        file: "(Gateway SIMPLE / MUTUAL / PASSTHROUGH, VirtualServices)",
        docs: [
          {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "tls-gateway" },
            spec: {
              selector: { istio: "ingressgateway" },
              servers: [
                https("simple.example.com", "SIMPLE"),
                https("mutual.example.com", "MUTUAL"),
                {
                  port: { number: 8443, name: "tls-passthrough", protocol: "TLS" },
                  hosts: ["passthrough.example.com"],
                  tls: { mode: "PASSTHROUGH" },
                },
              ],
            },
          },
          {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "web" },
            spec: {
              hosts: ["simple.example.com", "mutual.example.com"],
              gateways: ["tls-gateway"],
              http: [
                {
                  match: [{ uri: { prefix: "/api" } }],
                  route: [{ destination: { host: "web", port: { number: 80 } } }],
                },
                { route: [{ destination: { host: "web" } }] },
              ],
            },
          },
          {
            // Re-encrypting to the backend: SIMPLE origination, where tlsDefaults applies; and
            // cookie affinity with Set-Cookie attributes (the routes' hash policy).
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "web-tls" },
            spec: {
              host: "web",
              trafficPolicy: {
                tls: { mode: "SIMPLE", sni: "web.internal" },
                loadBalancer: {
                  consistentHash: {
                    httpCookie: {
                      name: "session",
                      path: "/",
                      ttl: "0s",
                      attributes: [{ name: "SameSite", value: "Strict" }, { name: "Secure" }],
                    },
                  },
                },
              },
            },
          },
          {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "passthrough" },
            spec: {
              hosts: ["passthrough.example.com"],
              gateways: ["tls-gateway"],
              tls: [
                {
                  match: [{ port: 8443, sniHosts: ["passthrough.example.com"] }],
                  route: [{ destination: { host: "tls-backend", port: { number: 443 } } }],
                },
              ],
            },
          },
        ],
      },
    ],
    proxies: [
      {
        label: "ingressgateway (router)",
        kind: "router",
        namespace,
        selector: "istio=ingressgateway",
      },
    ],
  };
}

/** The namespace of the CUSTOM AuthorizationPolicy corpus, where its authorizer runs. */
const AUTHZ_CUSTOM_NAMESPACE = "authz-custom";

/**
 * The mesh config both control planes read for the suite (ConfigMap `istio` in istio-system):
 * the ext_authz providers the CUSTOM corpus's policies name, all pointing at Istio's sample
 * authorizer `ext-authz` (samples/extauthz/ext-authz.yaml: HTTP on 8000, gRPC on 9000) in that
 * corpus's namespace. `ext-authz-http` and `ext-authz-grpc` carry every field the providers of
 * Istio's RBAC builder tests set (pilot/pkg/security/authz/builder/builder_test.go
 * meshConfigHTTP, meshConfigGRPC), the service written `<ns>/<host>` for one and as a bare host
 * for the other; `sample-ext-authz-http` and `sample-ext-authz-grpc` are the minimal providers
 * of Istio's ext-authz task (service, port, the one header), leaving the rest to defaults.
 * Until that corpus runs their service does not exist; no other corpus names them.
 *
 * It also sets the mesh's TLS (every corpus compares under it): `meshMTLS` (TLS 1.3 and two
 * cipher suites on every sidecar's inbound mTLS chains) and `tlsDefaults` (version, curves and
 * ciphers for the SIMPLE and MUTUAL gateway servers of the gateway TLS corpus, and for SIMPLE or
 * MUTUAL origination), so both control planes' reading of them is held against each other.
 */
export function suiteMeshConfig(): string {
  const host = `ext-authz.${AUTHZ_CUSTOM_NAMESPACE}.svc.cluster.local`;
  return stringify({
    meshMTLS: {
      minProtocolVersion: "TLSV1_3",
      cipherSuites: ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
    },
    tlsDefaults: {
      minProtocolVersion: "TLSV1_3",
      ecdhCurves: ["X25519", "P-256"],
      cipherSuites: ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"],
    },
    extensionProviders: [
      {
        name: "ext-authz-http",
        envoyExtAuthzHttp: {
          service: `${AUTHZ_CUSTOM_NAMESPACE}/${host}`,
          port: 8000,
          timeout: "10s",
          failOpen: true,
          statusOnError: "403",
          pathPrefix: "/check",
          includeRequestHeadersInCheck: ["x-custom-id", "x-prefix-*", "*-suffix"],
          includeHeadersInCheck: ["should-not-include-when-IncludeRequestHeadersInCheck-is-set"],
          includeAdditionalHeadersInCheck: { "x-header-1": "value-1", "x-header-2": "value-2" },
          includeRequestBodyInCheck: {
            maxRequestBytes: 2048,
            allowPartialMessage: true,
            packAsBytes: true,
          },
          headersToUpstreamOnAllow: ["Authorization", "x-prefix-*", "*-suffix"],
          headersToDownstreamOnDeny: ["Set-cookie", "x-prefix-*", "*-suffix"],
          headersToDownstreamOnAllow: ["Set-cookie", "x-prefix-*", "*-suffix"],
        },
      },
      {
        name: "ext-authz-grpc",
        envoyExtAuthzGrpc: {
          service: host,
          port: 9000,
          timeout: "0.002s",
          failOpen: true,
          statusOnError: "403",
          includeRequestBodyInCheck: { maxRequestBytes: 4096, allowPartialMessage: true },
        },
      },
      {
        name: "sample-ext-authz-http",
        envoyExtAuthzHttp: {
          service: host,
          port: 8000,
          includeRequestHeadersInCheck: ["x-ext-authz"],
        },
      },
      { name: "sample-ext-authz-grpc", envoyExtAuthzGrpc: { service: host, port: 9000 } },
    ],
  });
}

/**
 * CUSTOM AuthorizationPolicy: the CUSTOM inputs of Istio's RBAC builder tests
 * (pilot/pkg/security/authz/builder/testdata/{http,tcp}/custom-*-in.yaml), each on its own
 * version of an `httpbin` workload (HTTP 8000 and TCP 9000) so that each proxy has one
 * provider, as the builder tests configure one mesh config per case; Istio's sample authorizer
 * (samples/extauthz/ext-authz.yaml) is the providers' service ({@link suiteMeshConfig}).
 * The files' provider names (`default`, `another`) are mapped onto the mesh config's, their
 * `version: v1` selectors onto the workload's version (the namespace-wide
 * custom-both-http-tcp gets one), and each policy is renamed after its file.
 *
 * | workload | file | providers |
 * | --- | --- | --- |
 * | v1 | http/custom-simple-http | ext-authz-http (every HTTP field) |
 * | v2 | tcp/custom-only-http | ext-authz-grpc (every gRPC field) |
 * | v3 | tcp/custom-both-http-tcp | sample-ext-authz-grpc (defaults) |
 * | v4 | http/custom-bad-multiple-providers | sample-ext-authz-http and sample-ext-authz-grpc: more than one provider, so istiod denies what the policies match |
 */
export function customAuthorizationPolicyCorpus(): Corpus {
  const namespace = AUTHZ_CUSTOM_NAMESPACE;
  const dir = sharedPath("istio", "pilot", "pkg", "security", "authz", "builder", "testdata");
  const cases = [
    {
      version: "v1",
      file: "http/custom-simple-http-in.yaml",
      providers: { default: "ext-authz-http" },
    },
    {
      version: "v2",
      file: "tcp/custom-only-http-in.yaml",
      providers: { default: "ext-authz-grpc" },
    },
    {
      version: "v3",
      file: "tcp/custom-both-http-tcp-in.yaml",
      providers: { default: "sample-ext-authz-grpc" },
    },
    {
      version: "v4",
      file: "http/custom-bad-multiple-providers-in.yaml",
      providers: { default: "sample-ext-authz-http", another: "sample-ext-authz-grpc" },
    },
  ] as const;
  const ports = [
    { name: "http", port: 8000, targetPort: 80 },
    { name: "tcp", port: 9000, targetPort: 9000 },
  ];
  const files: CorpusFile[] = cases.map(c => {
    const stem = c.file.replace(/-in\.yaml$/, "").replace("/", "-");
    const docs = inNamespace(docsOf(readFileSync(join(dir, c.file), "utf8")), namespace).map(d => {
      const metadata = d.metadata as Record<string, unknown>;
      const spec = d.spec as Record<string, unknown> & { provider?: { name: string } };
      const provider = spec.provider?.name ?? "";
      return {
        ...d,
        metadata: { ...metadata, name: `${stem}-${String(metadata.name)}`.slice(0, 63) },
        spec: {
          ...spec,
          selector: { matchLabels: { app: "httpbin", version: c.version } },
          provider: { name: (c.providers as Record<string, string>)[provider] ?? provider },
        },
      };
    });
    return { file: `authz/builder/testdata/${c.file}`, docs };
  });
  return {
    name: "authz-custom",
    namespace,
    files: [
      {
        file: "samples/extauthz/ext-authz.yaml",
        docs: docsOf(
          readFileSync(sharedPath("istio", "samples", "extauthz", "ext-authz.yaml"), "utf8"),
        ),
      },
      {
        file: "(workloads httpbin v1-v4)",
        docs: cases.flatMap(c => workload("httpbin", ports, { version: c.version })),
      },
      ...files,
    ],
    proxies: cases.map(c => sidecarOf(namespace, "httpbin", { version: c.version })),
  };
}
