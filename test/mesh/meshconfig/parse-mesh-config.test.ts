import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { resolveExtAuthz } from "../../../xds/compile/security/ext-authz";
import {
  DEFAULT_MESH_CONFIG,
  meshConfigFromConfigMap,
  parseMeshConfig,
  type MeshConfig,
  type MeshConfigResult,
} from "../../../mesh/meshconfig";
import { sharedPath } from "../../harness/shared";

const SOURCE = "ConfigMap istio-system/istio";

function accepted(result: MeshConfigResult): { value: MeshConfig; notes: readonly string[] } {
  if (!result.ok) throw new Error(`expected the mesh config to load:\n${result.errors.join("\n")}`);
  return result;
}

const valueOf = (text: string): MeshConfig => accepted(parseMeshConfig(text, SOURCE)).value;
const notesOf = (text: string): readonly string[] => accepted(parseMeshConfig(text, SOURCE)).notes;
const errorsOf = (text: string): readonly string[] => {
  const result = parseMeshConfig(text, SOURCE);
  return result.ok ? [] : result.errors;
};

/** The YAML of one extension provider list entry holding `body` under `kind`. */
const provider = (kind: string, body: string, name = "ext-authz"): string =>
  `extensionProviders:\n- name: ${name}\n  ${kind}:\n${body
    .split("\n")
    .map(line => `    ${line}`)
    .join("\n")}\n`;
const http = (body: string): string => provider("envoyExtAuthzHttp", body);
const grpc = (body: string): string => provider("envoyExtAuthzGrpc", body);
const SVC = "service: ext-authz.foo.svc.cluster.local\nport: 8000";

describe("defaults", () => {
  it.each([
    ["undefined", undefined],
    ["an empty string", ""],
    ["blank lines", "  \n\n"],
    ["only comments", "# nothing set here\n"],
    ["an explicit null", "~\n"],
    ["an empty mapping", "{}\n"],
  ])("%s gives DEFAULT_MESH_CONFIG without notes", (_, text) => {
    expect(parseMeshConfig(text, SOURCE)).toEqual({
      ok: true,
      value: DEFAULT_MESH_CONFIG,
      notes: [],
    });
  });

  it("has Istio's defaults", () => {
    expect(DEFAULT_MESH_CONFIG).toEqual({
      rootNamespace: "istio-system",
      trustDomain: "cluster.local",
      trustDomainAliases: [],
      outboundTrafficPolicy: "ALLOW_ANY",
      enableAutoMtls: true,
      extensionProviders: [],
      telemetryProviders: [
        { name: "prometheus", kind: "prometheus" },
        { name: "envoy", kind: "envoyFileAccessLog", path: "/dev/stdout" },
      ],
      defaultProviders: { metrics: ["prometheus"], tracing: [], accessLogging: [] },
      accessLogFile: "",
      accessLogFormat: "",
      accessLogEncoding: "TEXT",
      enableTracing: true,
      meshMTLS: { minProtocolVersion: "TLS_AUTO", ecdhCurves: [], cipherSuites: [] },
      tlsDefaults: { minProtocolVersion: "TLS_AUTO", ecdhCurves: [], cipherSuites: [] },
    });
  });

  it("treats a null field as unset, as protobuf JSON does", () => {
    expect(valueOf("trustDomain: ~\nextensionProviders: null\n")).toEqual(DEFAULT_MESH_CONFIG);
  });
});

describe("good configs", () => {
  const cases: Array<[string, string, Partial<MeshConfig>]> = [
    [
      "the fields Rigging acts on",
      [
        "rootNamespace: mesh-root",
        "trustDomain: td.example.com",
        "trustDomainAliases: [old.example.com, cluster.local]",
        "outboundTrafficPolicy: {mode: REGISTRY_ONLY}",
        "enableAutoMtls: false",
      ].join("\n"),
      {
        rootNamespace: "mesh-root",
        trustDomain: "td.example.com",
        trustDomainAliases: ["cluster.local", "old.example.com"],
        outboundTrafficPolicy: "REGISTRY_ONLY",
        enableAutoMtls: false,
      },
    ],
    [
      "aliases kept as a sorted set, as Istio's ApplyMeshConfig does",
      "trustDomainAliases: [b.org, a.org, b.org]",
      { trustDomainAliases: ["a.org", "b.org"] },
    ],
    [
      "proto field names (jsonpb accepts them)",
      "trust_domain: example.org\nroot_namespace: mesh\nenable_auto_mtls: false",
      { trustDomain: "example.org", rootNamespace: "mesh", enableAutoMtls: false },
    ],
    [
      "a trust domain with a trailing dot",
      "trustDomain: cluster.local.",
      { trustDomain: "cluster.local." },
    ],
    ["a single-label trust domain", "trustDomain: local", { trustDomain: "local" }],
    [
      "ALLOW_ANY",
      "outboundTrafficPolicy:\n  mode: ALLOW_ANY",
      { outboundTrafficPolicy: "ALLOW_ANY" },
    ],
    [
      "locality distribution",
      [
        "localityLbSetting:",
        "  enabled: true",
        "  distribute:",
        "  - from: us-west/zone1/*",
        "    to: {us-west/zone1/*: 80, us-west/zone2/*: 20}",
      ].join("\n"),
      {
        localityLbSetting: {
          enabled: true,
          distribute: [
            { from: "us-west/zone1/*", to: { "us-west/zone1/*": 80, "us-west/zone2/*": 20 } },
          ],
        },
      },
    ],
    [
      "locality failover (no outlier detection needed at mesh level)",
      "localityLbSetting:\n  failover:\n  - from: us-east\n    to: eu-west",
      { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } },
    ],
    [
      "locality load balancing turned off",
      "localityLbSetting: {enabled: false}",
      { localityLbSetting: { enabled: false } },
    ],
    [
      "an HTTP ext_authz provider with every field",
      http(
        [
          "service: foo/ext-authz.foo.svc.cluster.local",
          "port: 8000",
          "timeout: 250ms",
          "failOpen: true",
          'statusOnError: "503"',
          "pathPrefix: /check",
          "includeRequestHeadersInCheck: [x-ext-authz, x-b3-*]",
          "includeHeadersInCheck: [cookie]",
          "includeAdditionalHeadersInCheck: {x-added: yes-string}",
          "includeRequestBodyInCheck: {maxRequestBytes: 4096, allowPartialMessage: true, packAsBytes: false}",
          "headersToUpstreamOnAllow: [x-user]",
          "headersToDownstreamOnDeny: [x-reason]",
          "headersToDownstreamOnAllow: ['*-trace']",
        ].join("\n"),
      ),
      {
        extensionProviders: [
          {
            name: "ext-authz",
            envoyExtAuthzHttp: {
              service: "foo/ext-authz.foo.svc.cluster.local",
              port: 8000,
              timeout: "250ms",
              failOpen: true,
              statusOnError: "503",
              pathPrefix: "/check",
              includeRequestHeadersInCheck: ["x-ext-authz", "x-b3-*"],
              includeHeadersInCheck: ["cookie"],
              includeAdditionalHeadersInCheck: { "x-added": "yes-string" },
              includeRequestBodyInCheck: {
                maxRequestBytes: 4096,
                allowPartialMessage: true,
                packAsBytes: false,
              },
              headersToUpstreamOnAllow: ["x-user"],
              headersToDownstreamOnDeny: ["x-reason"],
              headersToDownstreamOnAllow: ["*-trace"],
            },
          },
        ],
      },
    ],
    [
      "a gRPC ext_authz provider",
      grpc("service: ext-authz.foo.svc.cluster.local\nport: 9000\ntimeout: 0s\nstatusOnError: ''"),
      {
        extensionProviders: [
          {
            name: "ext-authz",
            envoyExtAuthzGrpc: {
              service: "ext-authz.foo.svc.cluster.local",
              port: 9000,
              timeout: "0s",
              statusOnError: "",
            },
          },
        ],
      },
    ],
    [
      "a provider service given as an IP address",
      grpc("service: 10.0.0.7\nport: 9000"),
      {
        extensionProviders: [
          { name: "ext-authz", envoyExtAuthzGrpc: { service: "10.0.0.7", port: 9000 } },
        ],
      },
    ],
    [
      "proto field names inside a provider",
      http("service: authz.svc\nport: 80\npath_prefix: /authz"),
      {
        extensionProviders: [
          {
            name: "ext-authz",
            envoyExtAuthzHttp: { service: "authz.svc", port: 80, pathPrefix: "/authz" },
          },
        ],
      },
    ],
    [
      "telemetry provider kinds, read for Telemetry",
      [
        "extensionProviders:",
        "- {name: prom, prometheus: {}}",
        "- name: zipkin",
        "  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}",
        "- {name: log, envoyFileAccessLog: {path: /dev/stdout}}",
        "- {name: My.Tracer, opentelemetry: {service: otel.svc, port: 4317}}",
      ].join("\n"),
      {
        extensionProviders: [
          { name: "prom" },
          { name: "zipkin" },
          { name: "log" },
          { name: "My.Tracer" },
        ],
        telemetryProviders: [
          ...DEFAULT_MESH_CONFIG.telemetryProviders,
          { name: "prom", kind: "prometheus" },
          {
            name: "zipkin",
            kind: "zipkin",
            service: "zipkin.istio-system.svc.cluster.local",
            port: 9411,
          },
          { name: "log", kind: "envoyFileAccessLog", path: "/dev/stdout" },
          { name: "My.Tracer", kind: "opentelemetry", service: "otel.svc", port: 4317 },
        ],
      },
    ],
    [
      "mesh-wide access logs, tracing switch and default providers",
      [
        "accessLogFile: /dev/stdout",
        "accessLogEncoding: JSON",
        'accessLogFormat: \'{"code": "%RESPONSE_CODE%"}\'',
        "enableTracing: false",
        "defaultProviders: {metrics: [prometheus], accessLogging: [envoy]}",
      ].join("\n"),
      {
        accessLogFile: "/dev/stdout",
        accessLogEncoding: "JSON",
        accessLogFormat: '{"code": "%RESPONSE_CODE%"}',
        enableTracing: false,
        defaultProviders: { metrics: ["prometheus"], tracing: [], accessLogging: ["envoy"] },
      },
    ],
  ];

  it.each(cases)("%s", (_, text, expected) => {
    expect(valueOf(text)).toEqual({ ...DEFAULT_MESH_CONFIG, ...expected });
  });

  it("accepts only ext_authz providers that resolveExtAuthz compiles", () => {
    for (const [, text] of cases) {
      for (const p of valueOf(text).extensionProviders) {
        if (!p.envoyExtAuthzHttp && !p.envoyExtAuthzGrpc) continue;
        const service = (p.envoyExtAuthzHttp ?? p.envoyExtAuthzGrpc)?.service ?? "";
        const namespace = service.includes("/") ? (service.split("/")[0] ?? "") : "foo";
        expect(resolveExtAuthz([p], p.name, () => [namespace]).ok).toBe(true);
      }
    }
  });
});

describe("bad configs", () => {
  const bad: Array<[string, string, string]> = [
    // Whole document
    ["a list", "- trustDomain: a\n", "must be a mapping of MeshConfig fields, got a list"],
    ["a scalar", "hello\n", 'must be a mapping of MeshConfig fields, got "hello"'],
    ["a number", "42\n", "must be a mapping of MeshConfig fields, got 42"],
    // rootNamespace
    [
      "an upper-case root namespace",
      "rootNamespace: Istio_System",
      'rootNamespace: must be a namespace name (a lowercase DNS-1123 label), got "Istio_System"',
    ],
    [
      "an empty root namespace",
      'rootNamespace: ""',
      'rootNamespace: must be a namespace name (a lowercase DNS-1123 label), got ""',
    ],
    ["a numeric root namespace", "rootNamespace: 5", "rootNamespace: must be a string, got 5"],
    // trustDomain
    ["an empty trust domain", 'trustDomain: ""', "trustDomain: must not be empty"],
    [
      "an underscore in the trust domain",
      "trustDomain: my_domain.local",
      'trustDomain: must be a trust domain: DNS labels joined by dots, e.g. "cluster.local", got "my_domain.local"',
    ],
    [
      "an empty label in the trust domain",
      "trustDomain: a..b",
      'trustDomain: must be a trust domain: DNS labels joined by dots, e.g. "cluster.local", got "a..b"',
    ],
    ["a list as trust domain", "trustDomain: [a.org]", "trustDomain: must be a string, got a list"],
    [
      "aliases as a string",
      "trustDomainAliases: old.example.com",
      'trustDomainAliases: must be a list of strings, got "old.example.com"',
    ],
    [
      "a bad alias",
      "trustDomainAliases: [ok.org, bad_alias]",
      'trustDomainAliases[1]: must be a trust domain: DNS labels joined by dots, e.g. "cluster.local", got "bad_alias"',
    ],
    ["an empty alias", "trustDomainAliases: ['']", "trustDomainAliases[0]: must not be empty"],
    [
      "a non-string alias",
      "trustDomainAliases: [{a: b}]",
      "trustDomainAliases[0]: must be a string, got a mapping",
    ],
    // outboundTrafficPolicy
    [
      "an unknown outbound mode",
      "outboundTrafficPolicy: {mode: ALLOW_ALL}",
      'outboundTrafficPolicy.mode: must be ALLOW_ANY or REGISTRY_ONLY, got "ALLOW_ALL"',
    ],
    [
      "a lower-case outbound mode",
      "outboundTrafficPolicy: {mode: allow_any}",
      'outboundTrafficPolicy.mode: must be ALLOW_ANY or REGISTRY_ONLY, got "allow_any"',
    ],
    [
      "ALLOW_ANY_DYNAMIC_DNS",
      "outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}",
      "outboundTrafficPolicy.mode: ALLOW_ANY_DYNAMIC_DNS is not supported by Rigging: use ALLOW_ANY or REGISTRY_ONLY",
    ],
    [
      "the outbound mode given directly",
      "outboundTrafficPolicy: REGISTRY_ONLY",
      'outboundTrafficPolicy: must be a mapping, got "REGISTRY_ONLY"',
    ],
    // enableAutoMtls
    [
      "a quoted boolean",
      'enableAutoMtls: "false"',
      'enableAutoMtls: must be true or false, got "false"',
    ],
    // localityLbSetting
    [
      "distribute and failover together",
      "localityLbSetting:\n  distribute: [{from: a/*, to: {b/*: 100}}]\n  failover: [{from: a, to: b}]",
      "localityLbSetting: can not simultaneously specify 'distribute' and 'failover'",
    ],
    [
      "weights not adding up to 100",
      "localityLbSetting:\n  distribute: [{from: a/*, to: {b/*: 60, c/*: 30}}]",
      "localityLbSetting.distribute[0].to: total locality weight 90 != 100",
    ],
    [
      "failover to the same region",
      "localityLbSetting:\n  failover: [{from: us-east, to: us-east}]",
      "localityLbSetting.failover[0]: locality lb failover settings must specify different regions",
    ],
    [
      "a wrong type inside localityLbSetting",
      "localityLbSetting: {enabled: sometimes}",
      "localityLbSetting.enabled: Invalid type: expected boolean, got string",
    ],
    [
      "localityLbSetting as a list",
      "localityLbSetting: []",
      "localityLbSetting: Invalid type: expected object, got array",
    ],
    // extensionProviders: the list and its entries
    [
      "providers as a mapping",
      "extensionProviders: {name: x}",
      "extensionProviders: must be a list of extension providers, got a mapping",
    ],
    [
      "a provider that is a string",
      "extensionProviders: [ext-authz]",
      'extensionProviders[0]: must be a mapping, got "ext-authz"',
    ],
    [
      "a provider without a kind",
      "extensionProviders: [{name: ext-authz}]",
      "extensionProviders[0]: must set exactly one provider kind (envoyExtAuthzHttp, envoyExtAuthzGrpc, zipkin, lightstep, datadog, stackdriver, opencensus, skywalking, opentelemetry, prometheus, envoyFileAccessLog, envoyHttpAls, envoyTcpAls, envoyOtelAls, sds), found none",
    ],
    [
      "a provider with two kinds",
      "extensionProviders: [{name: x, prometheus: {}, zipkin: {service: z.svc, port: 1}}]",
      "extensionProviders[0]: must set exactly one provider kind (envoyExtAuthzHttp, envoyExtAuthzGrpc, zipkin, lightstep, datadog, stackdriver, opencensus, skywalking, opentelemetry, prometheus, envoyFileAccessLog, envoyHttpAls, envoyTcpAls, envoyOtelAls, sds), found zipkin, prometheus",
    ],
    [
      "a provider without a name",
      "extensionProviders: [{prometheus: {}}]",
      "extensionProviders[0].name: must not be empty: every extension provider needs a name",
    ],
    [
      "a provider with an empty name",
      "extensionProviders: [{name: '', prometheus: {}}]",
      "extensionProviders[0].name: must not be empty: every extension provider needs a name",
    ],
    [
      "a provider with a numeric name",
      "extensionProviders: [{name: 7, prometheus: {}}]",
      "extensionProviders[0].name: must be a string, got 7",
    ],
    [
      "an ext_authz provider whose name is not a DNS label",
      provider("envoyExtAuthzGrpc", SVC, "My_Authz"),
      'extensionProviders[0].name: must be a lowercase DNS-1123 label to be used by a CUSTOM policy, got "My_Authz"',
    ],
    [
      "another kind given as a scalar",
      "extensionProviders: [{name: prom, prometheus: true}]",
      "extensionProviders[0].prometheus: must be a mapping, got true",
    ],
    // ext_authz: port
    [
      "a port out of range",
      http("service: ext-authz.foo.svc.cluster.local\nport: 999999"),
      "extensionProviders[0].envoyExtAuthzHttp.port: must be a port number 1-65535, got 999999",
    ],
    [
      "port 0",
      grpc("service: ext-authz.foo.svc.cluster.local\nport: 0"),
      "extensionProviders[0].envoyExtAuthzGrpc.port: must be a port number 1-65535, got 0",
    ],
    [
      "a quoted port",
      grpc('service: ext-authz.foo.svc.cluster.local\nport: "9000"'),
      'extensionProviders[0].envoyExtAuthzGrpc.port: must be a port number 1-65535, got "9000"',
    ],
    [
      "a missing port",
      grpc("service: ext-authz.foo.svc.cluster.local"),
      "extensionProviders[0].envoyExtAuthzGrpc.port: must be a port number 1-65535, got nothing",
    ],
    // ext_authz: service
    [
      "a missing service",
      http("port: 8000"),
      "extensionProviders[0].envoyExtAuthzHttp.service: must be set: name the service as <namespace>/<hostname>",
    ],
    [
      "an empty service",
      http("service: ''\nport: 8000"),
      "extensionProviders[0].envoyExtAuthzHttp.service: must not be empty: name the service as <namespace>/<hostname>",
    ],
    [
      "a service that is not a hostname",
      http("service: ext_authz.foo\nport: 8000"),
      'extensionProviders[0].envoyExtAuthzHttp.service: must be a hostname or an IP: domain name "ext_authz.foo" invalid (label "ext_authz" invalid)',
    ],
    [
      "a namespaced service with a short name",
      http("service: foo/ext-authz\nport: 8000"),
      'extensionProviders[0].envoyExtAuthzHttp.service: invalid "foo/ext-authz": short names (non FQDN) are not allowed',
    ],
    [
      "a service given as a list",
      http("service: [a.svc]\nport: 8000"),
      "extensionProviders[0].envoyExtAuthzHttp.service: must be a string, got a list",
    ],
    // ext_authz: timeout
    [
      "a timeout that is no duration",
      grpc(`${SVC}\ntimeout: soon`),
      'extensionProviders[0].envoyExtAuthzGrpc.timeout: must be a duration such as 500ms, 5s or 1m, got "soon"',
    ],
    [
      "a timeout without a unit",
      grpc(`${SVC}\ntimeout: 10`),
      "extensionProviders[0].envoyExtAuthzGrpc.timeout: must be a string, got 10",
    ],
    [
      "a negative timeout",
      grpc(`${SVC}\ntimeout: -1s`),
      'extensionProviders[0].envoyExtAuthzGrpc.timeout: must not be negative, got "-1s"',
    ],
    // ext_authz: statusOnError
    [
      "a status Envoy does not know",
      http(`${SVC}\nstatusOnError: "999"`),
      'extensionProviders[0].envoyExtAuthzHttp.statusOnError: must be an HTTP status code Envoy knows, e.g. "403" or "503", got "999"',
    ],
    [
      "a status that is no number",
      http(`${SVC}\nstatusOnError: forbidden`),
      'extensionProviders[0].envoyExtAuthzHttp.statusOnError: must be an HTTP status code Envoy knows, e.g. "403" or "503", got "forbidden"',
    ],
    [
      "an unquoted status",
      grpc(`${SVC}\nstatusOnError: 403`),
      'extensionProviders[0].envoyExtAuthzGrpc.statusOnError: must be a string (quote it: "403"), got 403',
    ],
    // ext_authz: HTTP fields
    [
      "a path prefix without a slash",
      http(`${SVC}\npathPrefix: check`),
      'extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must start with "/", got "check"',
    ],
    [
      "a header list given as a string",
      http(`${SVC}\nincludeRequestHeadersInCheck: x-ext-authz`),
      'extensionProviders[0].envoyExtAuthzHttp.includeRequestHeadersInCheck: must be a list of strings, got "x-ext-authz"',
    ],
    [
      "a number in a header list",
      http(`${SVC}\nheadersToUpstreamOnAllow: [x-user, 42]`),
      "extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAllow[1]: must be a string, got 42",
    ],
    [
      "a lone wildcard header",
      http(`${SVC}\nheadersToDownstreamOnDeny: [x-reason, "*"]`),
      'extensionProviders[0].envoyExtAuthzHttp.headersToDownstreamOnDeny[1]: a lone "*" is not supported: use a prefix ("x-*") or suffix ("*-id") match',
    ],
    [
      "additional headers as a list",
      http(`${SVC}\nincludeAdditionalHeadersInCheck: [x-a]`),
      "extensionProviders[0].envoyExtAuthzHttp.includeAdditionalHeadersInCheck: must be a mapping of strings to strings, got a list",
    ],
    [
      "an additional header with a number value",
      http(`${SVC}\nincludeAdditionalHeadersInCheck: {x-count: 1}`),
      "extensionProviders[0].envoyExtAuthzHttp.includeAdditionalHeadersInCheck[x-count]: must be a string, got 1",
    ],
    [
      "a negative body size",
      http(`${SVC}\nincludeRequestBodyInCheck: {maxRequestBytes: -1}`),
      "extensionProviders[0].envoyExtAuthzHttp.includeRequestBodyInCheck.maxRequestBytes: must be a whole number 0-4294967295, got -1",
    ],
    [
      "a fractional body size",
      grpc(`${SVC}\nincludeRequestBodyInCheck: {maxRequestBytes: 1.5}`),
      "extensionProviders[0].envoyExtAuthzGrpc.includeRequestBodyInCheck.maxRequestBytes: must be a whole number 0-4294967295, got 1.5",
    ],
    [
      "an unknown body field",
      grpc(`${SVC}\nincludeRequestBodyInCheck: {maxRequestByte: 10}`),
      'extensionProviders[0].envoyExtAuthzGrpc.includeRequestBodyInCheck.maxRequestByte: unknown field of includeRequestBodyInCheck (did you mean "maxRequestBytes"?)',
    ],
    [
      "failOpen as a string",
      grpc(`${SVC}\nfailOpen: "yes"`),
      'extensionProviders[0].envoyExtAuthzGrpc.failOpen: must be true or false, got "yes"',
    ],
    // ext_authz: unknown fields are errors
    [
      "a misspelt provider field",
      http(`${SVC}\ntimout: 1s`),
      'extensionProviders[0].envoyExtAuthzHttp.timout: unknown field of envoyExtAuthzHttp (did you mean "timeout"?)',
    ],
    [
      "an unknown provider field",
      http(`${SVC}\nretries: 3`),
      "extensionProviders[0].envoyExtAuthzHttp.retries: unknown field of envoyExtAuthzHttp",
    ],
    [
      "an HTTP field on a gRPC provider",
      grpc(`${SVC}\npathPrefix: /check`),
      "extensionProviders[0].envoyExtAuthzGrpc.pathPrefix: unknown field of envoyExtAuthzGrpc (pathPrefix is an envoyExtAuthzHttp field)",
    ],
    [
      "a field given under both its names",
      grpc(`${SVC}\nfailOpen: true\nfail_open: false`),
      'extensionProviders[0].envoyExtAuthzGrpc.fail_open: sets the same field as "failOpen"',
    ],
  ];

  it.each(bad)("%s", (_, text, error) => {
    expect(errorsOf(text)).toEqual([`${SOURCE}: ${error}`]);
  });

  it("names both indexes of a duplicate provider name", () => {
    const text = [
      "extensionProviders:",
      "- {name: authz, envoyExtAuthzGrpc: {service: a.svc, port: 9000}}",
      "- {name: prom, prometheus: {}}",
      "- {name: authz, envoyExtAuthzHttp: {service: b.svc, port: 8000}}",
    ].join("\n");
    expect(errorsOf(text)).toEqual([
      `${SOURCE}: extensionProviders[2].name: duplicate extension provider name "authz": extensionProviders[0] has it too`,
    ]);
  });

  it("counts a broken provider's name for uniqueness", () => {
    const text = "extensionProviders:\n- {name: a, prometheus: {}}\n- {name: a, zipkin: 1}";
    expect(errorsOf(text)).toEqual([
      `${SOURCE}: extensionProviders[1].zipkin: must be a mapping, got 1`,
      `${SOURCE}: extensionProviders[1].name: duplicate extension provider name "a": extensionProviders[0] has it too`,
    ]);
  });

  it("reports a misspelt provider kind as unknown, and the missing kind", () => {
    const text =
      "extensionProviders:\n- name: authz\n  envoyExtAuthzHTTP: {service: a.svc, port: 80}";
    expect(errorsOf(text)).toEqual([
      `${SOURCE}: extensionProviders[0].envoyExtAuthzHTTP: unknown field of an extension provider (did you mean "envoyExtAuthzHttp"?)`,
      `${SOURCE}: extensionProviders[0]: must set exactly one provider kind (envoyExtAuthzHttp, envoyExtAuthzGrpc, zipkin, lightstep, datadog, stackdriver, opencensus, skywalking, opentelemetry, prometheus, envoyFileAccessLog, envoyHttpAls, envoyTcpAls, envoyOtelAls, sds), found none`,
    ]);
  });

  it("reports every error at once", () => {
    const text = [
      "rootNamespace: Bad_NS",
      "trustDomain: ''",
      "outboundTrafficPolicy: {mode: NONE}",
      "enableAutoMtls: 1",
      "extensionProviders:",
      "- name: authz",
      "  envoyExtAuthzHttp:",
      "    service: ''",
      "    port: 70000",
      "    statusOnError: '0'",
      "    pathPrefix: x",
      "    includeHeadersInCheck: ['*']",
    ].join("\n");
    expect(errorsOf(text)).toEqual(
      [
        'rootNamespace: must be a namespace name (a lowercase DNS-1123 label), got "Bad_NS"',
        "trustDomain: must not be empty",
        'outboundTrafficPolicy.mode: must be ALLOW_ANY or REGISTRY_ONLY, got "NONE"',
        "enableAutoMtls: must be true or false, got 1",
        "extensionProviders[0].envoyExtAuthzHttp.service: must not be empty: name the service as <namespace>/<hostname>",
        "extensionProviders[0].envoyExtAuthzHttp.port: must be a port number 1-65535, got 70000",
        'extensionProviders[0].envoyExtAuthzHttp.statusOnError: must be an HTTP status code Envoy knows, e.g. "403" or "503", got "0"',
        'extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must start with "/", got "x"',
        'extensionProviders[0].envoyExtAuthzHttp.includeHeadersInCheck[0]: a lone "*" is not supported: use a prefix ("x-*") or suffix ("*-id") match',
      ].map(e => `${SOURCE}: ${e}`),
    );
  });

  it("names the line of a YAML syntax error", () => {
    expect(errorsOf("trustDomain: a.org\nextensionProviders: [\n  name: x\n")).toEqual([
      `${SOURCE}: line 4, column 1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it("refuses duplicate keys, naming the line", () => {
    expect(errorsOf("trustDomain: a.org\nrootNamespace: x\ntrustDomain: b.org\n")).toEqual([
      `${SOURCE}: line 3, column 1: invalid YAML: Map keys must be unique`,
    ]);
  });

  it("refuses more than one YAML document", () => {
    expect(errorsOf("trustDomain: a.org\n---\ntrustDomain: b.org\n")).toEqual([
      `${SOURCE}: line 2, column 1: invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()`,
    ]);
  });
});

describe("notes", () => {
  it("names each accepted field Rigging does not act on once", () => {
    const text = [
      "accessLogFile: /dev/stdout",
      "defaultConfig: {discoveryAddress: istiod.istio-system.svc:15012}",
      "enablePrometheusMerge: true",
      "serviceSettings: [{settings: {clusterLocal: true}, hosts: [a.b]}]",
      "defaultProviders: {metrics: [prometheus]}",
      "ingressClass: istio",
      "discoverySelectors: [{matchLabels: {mesh: yes}}]",
    ].join("\n");
    expect(notesOf(text)).toEqual(
      ["serviceSettings", "ingressClass", "discoverySelectors"].map(
        field => `${SOURCE}: ${field}: accepted, not acted on by Rigging`,
      ),
    );
  });

  it("notes unknown and removed top-level fields, suggesting a close known one", () => {
    expect(notesOf("trustDomian: a.org\nfooBar: 1\nmixerCheckServer: x:1\n")).toEqual([
      `${SOURCE}: trustDomian: unknown to MeshConfig, ignored as Istio ignores it (did you mean "trustDomain"?)`,
      `${SOURCE}: fooBar: unknown to MeshConfig, ignored as Istio ignores it`,
      `${SOURCE}: mixerCheckServer: no longer a MeshConfig field, ignored (Istio removed it)`,
    ]);
  });

  it("notes providers of other kinds, clearRouteCache and outbound TLS", () => {
    const text = [
      "outboundTrafficPolicy: {mode: ALLOW_ANY, tls: {mode: SIMPLE}}",
      "extensionProviders:",
      "- {name: otel, envoyOtelAls: {service: otel.svc, port: 4317, resourceAttributes: {}}}",
      "- {name: authz, envoyExtAuthzGrpc: {service: a.svc, port: 9000, clearRouteCache: true}}",
    ].join("\n");
    expect(notesOf(text)).toEqual([
      `${SOURCE}: outboundTrafficPolicy.tls: accepted, not acted on by Rigging`,
      `${SOURCE}: extensionProviders[0].envoyOtelAls.resourceAttributes: accepted, not acted on by Rigging`,
      `${SOURCE}: extensionProviders[1].envoyExtAuthzGrpc.clearRouteCache: accepted, not acted on by Rigging`,
    ]);
  });

  it("notes that an outbound policy without a mode is REGISTRY_ONLY, as in Istio", () => {
    const result = accepted(parseMeshConfig("outboundTrafficPolicy: {}", SOURCE));
    expect(result.value.outboundTrafficPolicy).toBe("REGISTRY_ONLY");
    expect(result.notes).toEqual([
      `${SOURCE}: outboundTrafficPolicy.mode: not set: Istio reads this as REGISTRY_ONLY`,
    ]);
  });

  it("notes unknown fields inside localityLbSetting and leaves them out", () => {
    const result = accepted(
      parseMeshConfig("localityLbSetting: {enabled: true, enable: false}", SOURCE),
    );
    expect(result.value.localityLbSetting).toEqual({ enabled: true });
    expect(result.notes).toEqual([
      `${SOURCE}: localityLbSetting.enable: unknown to LocalityLoadBalancerSetting, ignored`,
    ]);
  });
});

describe("meshConfigFromConfigMap", () => {
  const configMap = (data?: Record<string, unknown>) => ({
    metadata: { namespace: "istio-system", name: "istio" },
    data: data as Record<string, string> | undefined,
  });

  it("names the ConfigMap and data.mesh in errors", () => {
    const mesh = http("service: ext-authz.foo.svc.cluster.local\nport: 999999");
    expect(meshConfigFromConfigMap(configMap({ mesh }))).toEqual({
      ok: false,
      errors: [
        "ConfigMap istio-system/istio: data.mesh: extensionProviders[0].envoyExtAuthzHttp.port: must be a port number 1-65535, got 999999",
      ],
    });
  });

  it("names them in notes and YAML errors too", () => {
    expect(meshConfigFromConfigMap(configMap({ mesh: "ingressClass: istio" }))).toEqual({
      ok: true,
      value: DEFAULT_MESH_CONFIG,
      notes: [
        "ConfigMap istio-system/istio: data.mesh: ingressClass: accepted, not acted on by Rigging",
      ],
    });
    expect(meshConfigFromConfigMap(configMap({ mesh: "a: [" }))).toEqual({
      ok: false,
      errors: [
        "ConfigMap istio-system/istio: data.mesh: line 1, column 5: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
      ],
    });
  });

  it("reads the mesh key", () => {
    const result = accepted(
      meshConfigFromConfigMap(configMap({ mesh: "trustDomain: example.org" })),
    );
    expect(result.value).toEqual({ ...DEFAULT_MESH_CONFIG, trustDomain: "example.org" });
  });

  it.each([
    ["no data", configMap()],
    ["no mesh key", configMap({ meshNetworks: "networks: {}" })],
    ["a blank mesh key", configMap({ mesh: "" })],
  ])("gives the defaults for %s", (_, cm) => {
    expect(meshConfigFromConfigMap(cm)).toEqual({
      ok: true,
      value: DEFAULT_MESH_CONFIG,
      notes: [],
    });
  });

  it("refuses a mesh key that is not a string", () => {
    expect(meshConfigFromConfigMap(configMap({ mesh: { trustDomain: "a.org" } }))).toEqual({
      ok: false,
      errors: [
        "ConfigMap istio-system/istio: data.mesh: must be a string holding the MeshConfig YAML, got a mapping",
      ],
    });
  });
});

describe("Istio's own mesh configs", () => {
  const read = (path: string): string => readFileSync(sharedPath("istio", path), "utf8");
  /** The `meshConfig` block of a Helm values file or an IstioOperator, as YAML. */
  const meshConfigBlock = (path: string): string => {
    const doc = parseYaml(read(path)) as { meshConfig?: unknown; spec?: { meshConfig?: unknown } };
    return JSON.stringify(doc.meshConfig ?? doc.spec?.meshConfig);
  };
  const load = (text: string, file: string) => accepted(parseMeshConfig(text, file));

  it("kubeinject's mesh-config.yaml: only fields Rigging does not act on", () => {
    const file = "istioctl/pkg/kubeinject/testdata/mesh-config.yaml";
    const { value, notes } = load(read(file), file);
    expect(value).toEqual(DEFAULT_MESH_CONFIG);
    expect(notes).toEqual(
      ["ingressService"].map(f => `${file}: ${f}: accepted, not acted on by Rigging`),
    );
  });

  it("the analyzers' common meshconfig.yaml", () => {
    const file = "pkg/config/analysis/analyzers/testdata/common/meshconfig.yaml";
    expect(parseMeshConfig(read(file), file)).toEqual({
      ok: true,
      value: DEFAULT_MESH_CONFIG,
      notes: [],
    });
  });

  it("mesh-with-automtls.yaml sets auto mTLS explicitly (Istio's default too)", () => {
    const file = "pkg/config/analysis/analyzers/testdata/mesh-with-automtls.yaml";
    expect(parseMeshConfig(read(file), file)).toEqual({
      ok: true,
      value: { ...DEFAULT_MESH_CONFIG, enableAutoMtls: true },
      notes: [],
    });
    // The same file turned off is read, not defaulted.
    const off = read(file).replace("true", "false");
    expect(load(off, file).value.enableAutoMtls).toBe(false);
  });

  it("telemetry-lightstep-meshconfig.yaml keeps the lightstep provider by name", () => {
    const file = "pkg/config/analysis/analyzers/testdata/telemetry-lightstep-meshconfig.yaml";
    const { value, notes } = load(read(file), file);
    expect(value.extensionProviders).toEqual([{ name: "lightstep" }]);
    expect(notes).toEqual([
      `${file}: extensionProviders[0].lightstep: accepted, not acted on by Rigging (kept by name only)`,
    ]);
  });

  it("the demo profile's meshConfig keeps its four telemetry providers", () => {
    const file = "manifests/charts/istio-control/istio-discovery/files/profile-demo.yaml";
    const { value, notes } = load(meshConfigBlock(file), file);
    expect(value.extensionProviders.map(p => p.name)).toEqual([
      "otel",
      "skywalking",
      "otel-tracing",
      "jaeger",
    ]);
    expect(value.accessLogFile).toBe("/dev/stdout");
    expect(value.telemetryProviders.map(p => p.name)).toEqual([
      "prometheus",
      "envoy",
      "otel",
      "otel-tracing",
      "jaeger",
    ]);
    expect(notes).toContain(
      `${file}: extensionProviders[1].skywalking: accepted, not acted on by Rigging (kept by name only)`,
    );
  });

  it("the SPIRE sample's IstioOperator sets the trust domain", () => {
    const file = "samples/security/spire/istio-spire-config.yaml";
    expect(load(meshConfigBlock(file), file).value).toEqual({
      ...DEFAULT_MESH_CONFIG,
      trustDomain: "example.org",
    });
  });

  it("the Loki sample keeps its OpenTelemetry access log provider", () => {
    const file = "samples/open-telemetry/loki/iop.yaml";
    expect(load(meshConfigBlock(file), file).value.extensionProviders).toEqual([{ name: "otel" }]);
  });

  it("kubeinject's IstioOperator meshConfig", () => {
    const file = "istioctl/pkg/kubeinject/testdata/istio-operator.yaml";
    const { value, notes } = load(meshConfigBlock(file), file);
    expect(value).toEqual(DEFAULT_MESH_CONFIG);
    expect(notes.map(n => n.split(": ")[1])).toEqual(["ingressService", "connectTimeout"]);
  });
});
