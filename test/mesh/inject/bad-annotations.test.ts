/**
 * Malformed injection annotations are refused with Istio's wording, prefixed by the pod, field
 * path and annotation — or ignored, where Istio ignores them.
 */
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectPod,
  type Namespace,
  type Pod,
} from "../../../mesh/inject";

const enabled: Namespace = { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } };
const mesh = defaultMeshSettings();
const values = defaultInjectionValues();
const pod = (annotations: Record<string, string>): Pod => ({
  metadata: { name: "web", namespace: "shop", annotations },
  spec: { containers: [{ name: "web", image: "web:1" }] },
});
const prefix = (a: string, v: string) =>
  `Pod shop/web: metadata.annotations["${a}"]: invalid value '${v}' for annotation '${a}': `;

describe("refused annotations", () => {
  it.each([
    [
      "sidecar.istio.io/proxyCPU",
      "lots",
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
    [
      "sidecar.istio.io/proxyMemory",
      "1Gb",
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
    ["sidecar.istio.io/proxyCPULimit", "1\n", "value contains control characters"],
    [
      "sidecar.istio.io/proxyMemoryLimit",
      "",
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
    [
      "sidecar.istio.io/interceptionMode",
      "IPVS",
      "interceptionMode invalid, use REDIRECT,TPROXY,NONE: IPVS",
    ],
    [
      "traffic.sidecar.istio.io/includeOutboundIPRanges",
      "bad",
      "includeIPRanges invalid: failed parsing cidr 'bad': netip.ParsePrefix(\"bad\"): invalid",
    ],
    [
      "traffic.sidecar.istio.io/excludeOutboundIPRanges",
      "*",
      "excludeIPRanges invalid: failed parsing cidr '*': netip.ParsePrefix(\"*\"): invalid",
    ],
    [
      "traffic.sidecar.istio.io/includeInboundPorts",
      "bad",
      "includeInboundPorts invalid: failed parsing port 'bad': failed parsing port 'bad': strconv.ParseUint: parsing \"bad\": invalid syntax",
    ],
    [
      "traffic.sidecar.istio.io/excludeInboundPorts",
      "70000",
      "excludeInboundPorts invalid: failed parsing port '70000': failed parsing port '70000': strconv.ParseUint: parsing \"70000\": value out of range",
    ],
    [
      "traffic.sidecar.istio.io/excludeOutboundPorts",
      "1,x",
      "excludeOutboundPorts invalid: failed parsing port 'x': failed parsing port 'x': strconv.ParseUint: parsing \"x\": invalid syntax",
    ],
    ["traffic.sidecar.istio.io/excludeInterfaces", "eth0,", "empty interface name"],
    [
      "traffic.sidecar.istio.io/kubevirtInterfaces",
      "0net",
      'interface name "0net" contains invalid characters',
    ],
    [
      "status.sidecar.istio.io/port",
      "abc",
      "excludeInboundPorts invalid: failed parsing port 'abc': strconv.ParseUint: parsing \"abc\": invalid syntax",
    ],
    [
      "readiness.status.sidecar.istio.io/periodSeconds",
      "-1",
      'strconv.ParseUint: parsing "-1": invalid syntax',
    ],
    [
      "prometheus.istio.io/merge-metrics",
      "maybe",
      'strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
    [
      "proxy.istio.io/config",
      "concurrency: [",
      "failed to convert to apply proxy config: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 15:",
    ],
    [
      "proxy.istio.io/config",
      "discoveryAddress: nowhere",
      "invalid discovery address: missing port in address nowhere",
    ],
    [
      "proxy.istio.io/config",
      "drainDuration: 5m",
      'failed to convert to apply proxy config: bad Duration for field drainDuration: "5m"',
    ],
    [
      "proxy.istio.io/config",
      "interceptionMode: IPVS",
      'failed to convert to apply proxy config: unknown value "IPVS" for enum field interceptionMode',
    ],
  ])("%s: %j", (annotation, value, why) => {
    const r = injectPod(pod({ [annotation]: value }), enabled, mesh, values);
    expect(r).toEqual({ ok: false, errors: [prefix(annotation, value) + why] });
  });

  it("reports every bad annotation, not just the first", () => {
    const r = injectPod(
      pod({ "sidecar.istio.io/proxyCPU": "x", "sidecar.istio.io/proxyMemory": "y" }),
      enabled,
      mesh,
      values,
    );
    expect(r.ok ? [] : r.errors).toHaveLength(2);
  });

  it("refuses a scrape port that belongs to the proxy", () => {
    const r = injectPod(pod({ "prometheus.io/port": "15090" }), enabled, mesh, values);
    expect(r).toEqual({
      ok: false,
      errors: [
        "Pod shop/web: metadata.annotations: invalid prometheus scrape configuration: port 15090 is reserved for Istio (Envoy Prometheus (already merged)) and cannot be scraped",
      ],
    });
  });
});

describe("ignored annotations", () => {
  it.each([
    ["sidecar.istio.io/rewriteAppHTTPProbers", "perhaps"],
    ["sidecar.istio.io/nativeSidecar", "sometimes"],
    ["prometheus.io/scrape", "often"],
    ["proxy.istio.io/config", "unknownField: 1"],
  ])("%s: %j is accepted", (annotation, value) => {
    const r = injectPod(pod({ [annotation]: value }), enabled, mesh, values);
    expect(r).toMatchObject({ ok: true, value: { injected: true } });
  });
});
