/**
 * The injector's settings as the admission process follows them: a valid ConfigMap changes what
 * the next pod gets, a refused one changes nothing and is logged (structured, naming ConfigMap,
 * field and rule) and counted, a deleted one returns to Rigging's defaults. The watch is the
 * callback the ConfigMap watch calls; the metric is a real prom-client counter.
 */
import { Counter, Registry } from "prom-client";
import { InjectorConfigSource } from "../../control-plane/injector-config-source";
import { injectPod, type Pod } from "../../mesh/inject";
import { recordingLogger } from "./fakes";

const injectorCm = (values: string) => ({
  metadata: { namespace: "istio-system", name: "istio-sidecar-injector" },
  data: { values },
});
const meshCm = (mesh: string) => ({
  metadata: { namespace: "istio-system", name: "istio" },
  data: { mesh },
});

const pod: Pod = {
  metadata: { name: "web", namespace: "shop" },
  spec: { containers: [{ name: "app", image: "example/app:1" }] },
};
const ns = { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } };

function setup() {
  const logger = recordingLogger();
  const registry = new Registry();
  const loads = new Counter({
    name: "loads",
    help: "loads",
    labelNames: ["configmap", "result"],
    registers: [registry],
  });
  const source = new InjectorConfigSource({ logger, loads });
  const proxyOf = () => {
    const { mesh, values } = source.current;
    const r = injectPod(pod, ns, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const proxy = r.value.pod.spec.initContainers?.find(c => c.name === "istio-proxy");
    const env = Object.fromEntries((proxy?.env ?? []).map(e => [e.name, e.value]));
    return { image: proxy?.image, env };
  };
  const count = async (result: string) =>
    (await loads.get()).values.find(v => v.labels.result === result)?.value ?? 0;
  return { logger, source, proxyOf, count };
}

describe("InjectorConfigSource", () => {
  it("starts with the pinned proxy and follows a new hub and tag", () => {
    const { source, proxyOf } = setup();
    expect(proxyOf().image).toBe("docker.io/istio/proxyv2:1.31.0");
    source.onInjectorConfigMap(
      injectorCm('{"global": {"hub": "example.com/mesh", "tag": "1.31.1"}}'),
      "MODIFIED",
    );
    expect(proxyOf().image).toBe("example.com/mesh/proxyv2:1.31.1");
  });

  it("refuses a malformed value: the previous settings stay, the refusal is logged and counted", async () => {
    const { source, proxyOf, logger, count } = setup();
    source.onInjectorConfigMap(injectorCm('{"global": {"tag": "1.31.1"}}'), "ADDED");
    source.onInjectorConfigMap(
      injectorCm('{"global": {"tag": "1.32.0", "proxy": {"statusPort": "abc"}}}'),
      "MODIFIED",
    );
    expect(proxyOf().image).toBe("docker.io/istio/proxyv2:1.31.1");
    const refusal = logger.lines.map(l => JSON.parse(l)).find(l => l.level === "error");
    expect(refusal).toEqual({
      level: "error",
      msg: "injection config refused: the previous settings stay in effect for new pods",
      configMap: "istio-system/istio-sidecar-injector",
      errors: [
        'ConfigMap istio-system/istio-sidecar-injector: data.values: global.proxy.statusPort: must be a port number 0-65535, got "abc"',
      ],
    });
    expect(await count("rejected")).toBe(1);
    expect(await count("applied")).toBe(1);
  });

  it("returns to the defaults when the ConfigMap is deleted", () => {
    const { source, proxyOf } = setup();
    source.onInjectorConfigMap(injectorCm('{"global": {"tag": "1.31.1"}}'), "ADDED");
    source.onInjectorConfigMap(injectorCm(""), "DELETED");
    expect(proxyOf().image).toBe("docker.io/istio/proxyv2:1.31.0");
  });

  it("counts a replay of the same ConfigMap as unchanged and logs it once", async () => {
    const { source, logger, count } = setup();
    source.onInjectorConfigMap(injectorCm('{"global": {"tag": "1.31.1"}}'), "ADDED");
    source.onInjectorConfigMap(injectorCm('{"global": {"tag": "1.31.1"}}'), "ADDED");
    expect(await count("unchanged")).toBe(1);
    expect(logger.lines.filter(l => l.includes("injector config applied"))).toHaveLength(1);
  });

  it("follows meshConfig.defaultConfig, and keeps it when a later mesh config is refused", () => {
    const { source, proxyOf, logger } = setup();
    source.onMeshConfigMap(
      meshCm(
        "defaultConfig:\n  holdApplicationUntilProxyStarts: true\n  proxyMetadata: {FOO: bar}\n",
      ),
      "ADDED",
    );
    source.onMeshConfigMap(meshCm("defaultConfig: {proxyMetadata: {FOO: 1}}"), "MODIFIED");
    const { env } = proxyOf();
    expect(env.FOO).toBe("bar");
    expect(JSON.parse(env.PROXY_CONFIG ?? "")).toEqual({
      holdApplicationUntilProxyStarts: true,
      proxyMetadata: { FOO: "bar" },
    });
    expect(logger.lines.join("\n")).toContain(
      "ConfigMap istio-system/istio: data.mesh: defaultConfig: proxyMetadata values must be strings",
    );
    source.onMeshConfigMap(meshCm(""), "DELETED");
    expect(JSON.parse(proxyOf().env.PROXY_CONFIG ?? "")).toEqual({});
  });
});
