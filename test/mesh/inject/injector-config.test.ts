import { readFileSync } from "node:fs";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectorConfigFromConfigMap,
  injectorConfigMapName,
  injectorMeshFromConfigMap,
  injectPod,
  parseInjectorConfig,
  parseInjectorMeshConfig,
  type InjectionValues,
  type Namespace,
  type Pod,
} from "../../../mesh/inject";
import { sharedPath } from "../../harness/shared";

const cm = (data: Record<string, unknown>) => ({
  metadata: { namespace: "istio-system", name: "istio-sidecar-injector" },
  data: data as Record<string, string>,
});
const meshCm = (mesh: unknown) => ({
  metadata: { namespace: "istio-system", name: "istio" },
  data: { mesh } as Record<string, string>,
});

function valuesOf(data: Record<string, unknown>): InjectionValues {
  const r = injectorConfigFromConfigMap(cm(data));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

describe("injectorConfigFromConfigMap: good values", () => {
  it("gives Rigging's defaults (the pinned proxyv2) for an empty ConfigMap", () => {
    expect(valuesOf({})).toEqual(defaultInjectionValues());
    expect(valuesOf({}).global).toMatchObject({ hub: "docker.io/istio", tag: "1.31.0" });
  });

  it.each<[string, Record<string, unknown>, (v: InjectionValues) => unknown, unknown]>([
    [
      "hub and tag",
      { values: JSON.stringify({ global: { hub: "example.com/mesh", tag: "1.31.1" } }) },
      v => [v.global.hub, v.global.tag],
      ["example.com/mesh", "1.31.1"],
    ],
    [
      "a numeric tag, as Helm users write it",
      { values: '{"global": {"tag": 1.31}}' },
      v => v.global.tag,
      1.31,
    ],
    [
      "nested proxy values keep their siblings",
      { values: '{"global": {"proxy": {"statusPort": 15021}}}' },
      v => [v.global.proxy.statusPort, v.global.proxy.image, v.global.proxy.readinessPeriodSeconds],
      [15021, "proxyv2", 15],
    ],
    [
      "values Rigging does not read (the chart has many) are ignored",
      { values: '{"global": {"istioNamespace": "istio-system", "proxy": {"enableCoreDump": 7}}}' },
      v => v.global.proxy.statusPort,
      15020,
    ],
    [
      "null leaves the default, as an unset Helm value",
      { values: '{"global": {"hub": null, "proxy": {"resources": null}}}' },
      v => [v.global.hub, v.global.proxy.resources],
      ["docker.io/istio", null],
    ],
    [
      "config's policy decides over values.global.proxy.autoInject",
      {
        values: '{"global": {"proxy": {"autoInject": "enabled"}}}',
        config: "policy: disabled\n",
      },
      v => v.global.proxy.autoInject,
      "disabled",
    ],
    [
      "config's selectors and injected annotations",
      {
        config: [
          "neverInjectSelector:",
          "- matchExpressions: [{key: job, operator: Exists}]",
          "alwaysInjectSelector:",
          "- matchLabels: {mesh: always}",
          'injectedAnnotations: {"example.com/injected": "yes"}',
          "",
        ].join("\n"),
      },
      v => v.sidecarInjectorWebhook,
      expect.objectContaining({
        neverInjectSelector: [{ matchExpressions: [{ key: "job", operator: "Exists" }] }],
        alwaysInjectSelector: [{ matchLabels: { mesh: "always" } }],
        injectedAnnotations: { "example.com/injected": "yes" },
      }),
    ],
    [
      "the chart's own config: empty selectors (null), defaultTemplates [sidecar], Go templates",
      {
        config: [
          "defaultTemplates: [sidecar]",
          "policy: enabled",
          "alwaysInjectSelector:",
          "  []",
          "neverInjectSelector:",
          "injectedAnnotations:",
          'template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"',
          "templates:",
          "  sidecar: |",
          "    metadata: {}",
          "",
        ].join("\n"),
      },
      v => [v.global.proxy.autoInject, v.sidecarInjectorWebhook.neverInjectSelector],
      ["enabled", []],
    ],
    [
      "defaultTemplates naming a custom plain-YAML template defined beside it",
      {
        config: [
          "defaultTemplates: [sidecar, spire]",
          "templates:",
          "  spire: |",
          "    metadata:",
          "      labels: {spiffe: enabled}",
          "",
        ].join("\n"),
      },
      v => [
        v.sidecarInjectorWebhook.defaultTemplates,
        Object.keys(v.sidecarInjectorWebhook.templates ?? {}),
      ],
      [["sidecar", "spire"], ["spire"]],
    ],
  ])("reads %s", (_, data, pick, want) => {
    expect(pick(valuesOf(data))).toEqual(want);
  });

  it("notes what it accepts but does not act on", () => {
    const r = injectorConfigFromConfigMap(
      cm({ config: "templates:\n  gateway: '{{ .Values }}'\nfoo: 1\n" }),
    );
    expect(r.ok && r.notes).toEqual([
      "ConfigMap istio-system/istio-sidecar-injector: data.config: templates.gateway: built-in template: Rigging renders its own",
      "ConfigMap istio-system/istio-sidecar-injector: data.config: foo: unknown to Istio's injector config, ignored as Istio ignores it",
    ]);
  });

  it("names the revision's ConfigMap as the chart does", () => {
    expect([injectorConfigMapName(""), injectorConfigMapName("canary")]).toEqual([
      "istio-sidecar-injector",
      "istio-sidecar-injector-canary",
    ]);
  });
});

const P = "ConfigMap istio-system/istio-sidecar-injector: ";

describe("injectorConfigFromConfigMap: refusals name the ConfigMap, the field path and the rule", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "bad JSON",
      { values: '{"global": {"hub": "x",}' },
      [
        expect.stringMatching(
          /^ConfigMap istio-system\/istio-sidecar-injector: data\.values: line 1, column \d+: invalid JSON: /,
        ),
      ],
    ],
    [
      "bad YAML",
      { config: "policy: [enabled\n" },
      [
        expect.stringMatching(
          /^ConfigMap istio-system\/istio-sidecar-injector: data\.config: line \d+, column \d+: invalid YAML: /,
        ),
      ],
    ],
    [
      "values not an object",
      { values: "[1, 2]" },
      [`${P}data.values: must be a JSON object of chart values, got a list`],
    ],
    [
      "config not a mapping",
      { config: "enabled" },
      [`${P}data.config: must be a mapping of injector settings, got "enabled"`],
    ],
    [
      "a data key that is not a string",
      { values: 7 },
      [`${P}data.values: must be a string, got 7`],
    ],
    [
      "a port that is a string",
      { values: '{"global": {"proxy": {"statusPort": "abc"}}}' },
      [`${P}data.values: global.proxy.statusPort: must be a port number 0-65535, got "abc"`],
    ],
    [
      "a port out of range",
      { values: '{"global": {"proxy": {"statusPort": 70000}}}' },
      [`${P}data.values: global.proxy.statusPort: must be a port number 0-65535, got 70000`],
    ],
    [
      "an empty hub",
      { values: '{"global": {"hub": ""}}' },
      [`${P}data.values: global.hub: must be a non-empty string, got ""`],
    ],
    [
      "a boolean written as a string",
      { values: '{"global": {"proxy": {"privileged": "true"}}}' },
      [`${P}data.values: global.proxy.privileged: must be true or false, got "true"`],
    ],
    [
      "a negative threshold",
      { values: '{"global": {"proxy": {"readinessFailureThreshold": -1}}}' },
      [
        `${P}data.values: global.proxy.readinessFailureThreshold: must be a whole number 0 or more, got -1`,
      ],
    ],
    [
      "an unknown image pull policy",
      { values: '{"global": {"imagePullPolicy": "Sometimes"}}' },
      [
        `${P}data.values: global.imagePullPolicy: must be one of "", Always, IfNotPresent, Never, got "Sometimes"`,
      ],
    ],
    [
      "a mapping where a section is expected",
      { values: '{"global": {"proxy": 5}}' },
      [`${P}data.values: global.proxy: must be a mapping, got 5`],
    ],
    [
      "an unknown policy value",
      { config: "policy: sometimes\n" },
      [`${P}data.config: policy: must be one of enabled, disabled, got "sometimes"`],
    ],
    [
      "an unknown autoInject value",
      { values: '{"global": {"proxy": {"autoInject": "yes"}}}' },
      [`${P}data.values: global.proxy.autoInject: must be one of enabled, disabled, got "yes"`],
    ],
    [
      "a selector with a bad operator and a non-string label",
      {
        config:
          "neverInjectSelector:\n- matchLabels: {a: 1}\n  matchExpressions: [{key: k, operator: Maybe}]\n",
      },
      [
        `${P}data.config: neverInjectSelector[0].matchLabels[a]: must be a string, got 1`,
        `${P}data.config: neverInjectSelector[0].matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, got "Maybe"`,
      ],
    ],
    [
      "injected annotations that are not strings",
      { config: "injectedAnnotations: {a: true}\n" },
      [`${P}data.config: injectedAnnotations[a]: must be a string, got true`],
    ],
    [
      "a default template Rigging does not render",
      { config: "defaultTemplates: [sidecar, hello]\n" },
      [
        `${P}data.config: defaultTemplates[1]: template "hello" is not defined (known: sidecar, gateway, grpc-agent, grpc-simple)`,
      ],
    ],
    [
      "a custom template with Go template actions",
      { config: "templates:\n  spire: |\n    spec: {{ .Spec }}\n" },
      [
        `${P}data.config: templates.spire: Go template actions ({{ ... }}) are not supported; only plain YAML overlays are`,
      ],
    ],
    [
      "a custom template that is not text",
      { config: "templates:\n  spire: 3\n" },
      [`${P}data.config: templates.spire: must be a template text (string), got 3`],
    ],
    [
      "every error at once, values and config",
      { values: '{"global": {"tag": ""}}', config: "policy: 1\n" },
      [
        `${P}data.values: global.tag: must be a non-empty string or a number, got ""`,
        `${P}data.config: policy: must be one of enabled, disabled, got 1`,
      ],
    ],
  ])("refuses %s", (_, data, errors) => {
    expect(injectorConfigFromConfigMap(cm(data))).toEqual({ ok: false, errors });
  });
});

describe("parseInjectorConfig: files as rig kube-inject reads them", () => {
  it("names the file in messages", () => {
    const r = parseInjectorConfig(
      { values: '{"global": {"proxy": {"statusPort": "abc"}}}' },
      defaultInjectionValues(),
      { values: ["values.json"], config: ["inject-config.yaml"] },
    );
    expect(r).toEqual({
      ok: false,
      errors: ['values.json: global.proxy.statusPort: must be a port number 0-65535, got "abc"'],
    });
  });
});

const M = "ConfigMap istio-system/istio: data.mesh: ";

describe("injectorMeshFromConfigMap: meshConfig.defaultConfig for new sidecars", () => {
  it("gives the defaults for a ConfigMap without mesh", () => {
    const r = injectorMeshFromConfigMap({ metadata: { namespace: "istio-system", name: "istio" } });
    expect(r).toEqual({ ok: true, value: defaultMeshSettings() });
  });

  it("reads defaultConfig and the fields the template uses", () => {
    const r = injectorMeshFromConfigMap(
      meshCm(
        [
          "trustDomain: example.org",
          "enablePrometheusMerge: false",
          "inboundTrafficPolicy: {mode: LOCALHOST}",
          "defaultConfig:",
          "  holdApplicationUntilProxyStarts: true",
          "  proxyMetadata: {ISTIO_META_DNS_CAPTURE: 'true'}",
          "",
        ].join("\n"),
      ),
    );
    if (!r.ok) throw new Error(r.errors.join("\n"));
    expect(r.value.discoveryAddress).toBe("istiod.istio-system.svc:15012");
    expect(r.value.meshConfig).toEqual({
      trustDomain: "example.org",
      enablePrometheusMerge: false,
      inboundTrafficPolicy: { mode: "LOCALHOST" },
      defaultConfig: {
        discoveryAddress: "istiod.istio-system.svc:15012",
        holdApplicationUntilProxyStarts: true,
        proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true" },
      },
    });
  });

  it("follows defaultConfig.discoveryAddress for CA_ADDR too", () => {
    const r = injectorMeshFromConfigMap(
      meshCm("defaultConfig: {discoveryAddress: 'cp.mesh:15012'}"),
    );
    expect(r.ok && r.value.discoveryAddress).toBe("cp.mesh:15012");
  });

  it.each<[string, unknown, string[]]>([
    [
      "bad YAML",
      "defaultConfig: [",
      [
        expect.stringMatching(
          /^ConfigMap istio-system\/istio: data\.mesh: line \d+, column \d+: invalid YAML/,
        ),
      ],
    ],
    [
      "a mesh key that is not a string",
      5,
      ["ConfigMap istio-system/istio: data.mesh: must be a string"],
    ],
    [
      "what the control plane's parser refuses",
      "trustDomain: ''",
      [`${M}trustDomain: must not be empty`],
    ],
    [
      "a defaultConfig that is not a mapping",
      "defaultConfig: 3",
      [`${M}defaultConfig: must be a mapping, got 3`],
    ],
    [
      "a defaultConfig field of the wrong type",
      "defaultConfig: {statusPort: abc}",
      [`${M}defaultConfig: bad value for integer field statusPort: "abc"`],
    ],
    [
      "proxyMetadata that is not a string map",
      "defaultConfig: {proxyMetadata: {A: 1}}",
      [`${M}defaultConfig: proxyMetadata values must be strings`],
    ],
    [
      "holdApplicationUntilProxyStarts as a string",
      "defaultConfig: {holdApplicationUntilProxyStarts: 'yes'}",
      [`${M}defaultConfig: bad value for BoolValue field holdApplicationUntilProxyStarts: "yes"`],
    ],
    [
      "a discovery address without a port",
      "defaultConfig: {discoveryAddress: istiod}",
      [`${M}defaultConfig: invalid discovery address: missing port in address istiod`],
    ],
    [
      "an unknown inbound mode",
      "inboundTrafficPolicy: {mode: SOMETIMES}",
      [`${M}inboundTrafficPolicy.mode: must be one of PASSTHROUGH, LOCALHOST, got "SOMETIMES"`],
    ],
    [
      "a listen port out of range",
      "proxyListenPort: 99999",
      [`${M}proxyListenPort: must be a port number 0-65535, got 99999`],
    ],
  ])("refuses %s", (_, mesh, errors) => {
    expect(injectorMeshFromConfigMap(meshCm(mesh))).toEqual({ ok: false, errors });
  });
});

describe("the parsed settings drive injection", () => {
  const ns: Namespace = { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } };
  const pod: Pod = {
    metadata: { name: "web", namespace: "shop" },
    spec: { containers: [{ name: "app", image: "example/app:1" }] },
  };

  it("renders the configured image, hold and proxyMetadata into the sidecar", () => {
    const values = valuesOf({ values: '{"global": {"hub": "example.com/mesh", "tag": "1.31.1"}}' });
    const mesh = injectorMeshFromConfigMap(
      meshCm("defaultConfig: {holdApplicationUntilProxyStarts: true, proxyMetadata: {FOO: bar}}"),
    );
    if (!mesh.ok) throw new Error(mesh.errors.join("\n"));
    const r = injectPod(pod, ns, mesh.value, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const proxy = r.value.pod.spec.initContainers?.find(c => c.name === "istio-proxy");
    const env = Object.fromEntries((proxy?.env ?? []).map(e => [e.name, e.value]));
    expect(proxy?.image).toBe("example.com/mesh/proxyv2:1.31.1");
    expect(env.FOO).toBe("bar");
    expect(JSON.parse(env.PROXY_CONFIG ?? "")).toEqual({
      holdApplicationUntilProxyStarts: true,
      proxyMetadata: { FOO: "bar" },
    });
  });

  it("injects nothing under policy disabled unless the pod asks", () => {
    const values = valuesOf({ config: "policy: disabled" });
    const mesh = defaultMeshSettings();
    expect(injectPod(pod, ns, mesh, values)).toMatchObject({
      ok: true,
      value: { injected: false },
    });
    const asks = {
      ...pod,
      metadata: { ...pod.metadata, labels: { "sidecar.istio.io/inject": "true" } },
    };
    expect(injectPod(asks, ns, mesh, values)).toMatchObject({
      ok: true,
      value: { injected: true },
    });
  });
});

describe("Istio's own kube-inject settings files load", () => {
  const dir = "istio/istioctl/pkg/kubeinject/testdata";
  const read = (file: string) => readFileSync(sharedPath(dir, file), "utf8");

  it("inject-values.yaml (YAML values) and inject-config.yaml (custom templates, noted)", () => {
    const r = parseInjectorConfig(
      { values: read("inject-values.yaml"), config: read("inject-config.yaml") },
      defaultInjectionValues(),
      { values: ["inject-values.yaml"], config: ["inject-config.yaml"] },
    );
    expect(r).toEqual({
      ok: true,
      value: defaultInjectionValues(),
      notes: ["inject-config.yaml: templates.sidecar: built-in template: Rigging renders its own"],
    });
  });

  it("mesh-config.yaml: its defaultConfig (discovery address, drain) reaches the settings", () => {
    const r = parseInjectorMeshConfig(
      read("mesh-config.yaml"),
      defaultMeshSettings(),
      "mesh-config.yaml",
    );
    if (!r.ok) throw new Error(r.errors.join("\n"));
    expect(r.value.discoveryAddress).toBe("istio-pilot:15007");
    expect(r.value.meshConfig.defaultConfig).toMatchObject({
      discoveryAddress: "istio-pilot:15007",
      drainDuration: "2s",
      controlPlaneAuthPolicy: "NONE",
    });
  });
});
