/**
 * Every object in Istio's `tests/testdata/config/` and the bookinfo samples compiles, for an
 * Envoy sidecar and a proxyless gRPC client, into resources that pass the encoder check
 * (encode, decode, compare field for field) and reference only resources that exist.
 */
import { readdirSync } from "node:fs";
import { storeOf } from "../../../mesh/store";
import { compile } from "../../../xds/compile";
import {
  checkedSnapshot,
  grpcNode,
  istioPath,
  loadYaml,
  sidecarNode,
  storeObjects,
} from "./fixtures";

const CONFIG_DIR = istioPath("tests/testdata/config");
const NETWORKING_DIR = istioPath("samples/bookinfo/networking");
const BOOKINFO = loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml"));

const proxies = [
  [
    "sidecar in default",
    sidecarNode("10.1.2.3", "reviews-v1-abc", "default", { app: "reviews", version: "v1" }),
  ],
  ["sidecar in testns", sidecarNode("10.1.2.4", "app-abc", "testns", { app: "a" })],
  ["gRPC client in default", grpcNode("10.1.2.5", "client-abc", "default", { app: "client" })],
] as const;

function compileAll(files: readonly string[]): Record<string, number> {
  const docs = files.flatMap(f => loadYaml(f));
  const store = storeOf(storeObjects([...BOOKINFO, ...docs]));
  const sizes: Record<string, number> = {};
  for (const [label, node] of proxies) {
    const result = compile(store, node);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    const snapshot = checkedSnapshot(result.value);
    sizes[label] = [...snapshot.resources.values()].reduce((n, m) => n + m.size, 0);
  }
  return sizes;
}

describe("Istio's config corpus compiles and passes the encoder check", () => {
  it.each(readdirSync(CONFIG_DIR).filter(f => f.endsWith(".yaml")))(
    "tests/testdata/config/%s",
    file => {
      const sizes = compileAll([`${CONFIG_DIR}/${file}`]);
      for (const n of Object.values(sizes)) expect(n).toBeGreaterThan(0);
    },
  );

  it.each(readdirSync(NETWORKING_DIR).filter(f => f.endsWith(".yaml")))(
    "bookinfo networking/%s",
    file => {
      const sizes = compileAll([`${NETWORKING_DIR}/${file}`]);
      // bookinfo's four services on 9080 at least: a listener, route, cluster and CLA each.
      expect(sizes["gRPC client in default"]).toBeGreaterThanOrEqual(16);
    },
  );

  it("the whole corpus at once (many hosts, rules and sidecars together)", () => {
    const all = [
      ...readdirSync(CONFIG_DIR).map(f => `${CONFIG_DIR}/${f}`),
      ...readdirSync(NETWORKING_DIR).map(f => `${NETWORKING_DIR}/${f}`),
    ].filter(f => f.endsWith(".yaml"));
    const sizes = compileAll(all);
    expect(sizes["sidecar in default"]).toBeGreaterThan(50);
  });
});
