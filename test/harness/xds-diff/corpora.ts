/**
 * The configurations the xDS diff suite applies, read in place from Istio's own files under
 * ../shared/istio: bookinfo with its networking samples, and the config sets Istio benchmarks
 * pilot with (pilot/pkg/xds/testdata/benchmarks), whose Go templates are rendered here with a
 * small service count.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
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
