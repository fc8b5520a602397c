import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { checkCelSyntax } from "../../../mesh/validation/cel-syntax";
import { validate } from "../../../mesh/validation";
import { sharedPath } from "../../harness/shared";
import { errors, full, object, warnings, type Row } from "./table";

const K = "Telemetry";
const logs = (entry: object) => ({ accessLogging: [entry] });
const tracing = (entry: object) => ({ tracing: [entry] });
const override = (o: object) => ({ metrics: [{ overrides: [o] }] });

const invalid: Row[] = [
  [
    "a selector and a targetRef together",
    {
      selector: { matchLabels: { app: "reviews" } },
      targetRef: { kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" },
    },
    "spec: only one of targetRefs or workloadSelector can be set",
  ],
  [
    "a selector and targetRefs together",
    {
      selector: { matchLabels: { app: "reviews" } },
      targetRefs: [{ kind: "Service", name: "reviews" }],
    },
    "spec: only one of targetRefs or workloadSelector can be set",
  ],
  [
    "a sampling percentage above 100",
    tracing({ randomSamplingPercentage: 100.5 }),
    "spec.tracing[0].randomSamplingPercentage: Invalid value: 100.5: must be less than or equal to 100",
  ],
  [
    "a negative sampling percentage",
    tracing({ randomSamplingPercentage: -1 }),
    "spec.tracing[0].randomSamplingPercentage: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "an unbalanced filter expression",
    logs({ filter: { expression: "response.code >= 400 &&" } }),
    "spec.accessLogging[0].filter.expression: must be a valid CEL expression, Syntax error at column 24: expected a name, found '<EOF>'",
  ],
  [
    "a filter with an unclosed parenthesis",
    logs({ filter: { expression: "(response.code == 200" } }),
    "spec.accessLogging[0].filter.expression: must be a valid CEL expression, Syntax error at column 22: expected ')', found '<EOF>'",
  ],
  [
    "a filter with a stray character",
    logs({ filter: { expression: "response.code == 200 # ok" } }),
    'spec.accessLogging[0].filter.expression: must be a valid CEL expression, Syntax error at column 22: unexpected character "#"',
  ],
  [
    "an empty filter expression",
    logs({ filter: { expression: "" } }),
    "spec.accessLogging[0].filter.expression: must be a valid CEL expression, Syntax error: empty expression",
  ],
  [
    "an empty provider name",
    { metrics: [{ providers: [{ name: "" }] }] },
    'spec.metrics[0].providers[0].name: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "UPSERT without a value",
    override({ tagOverrides: { foo: { operation: "UPSERT" } } }),
    "spec.metrics[0].overrides[0].tagOverrides[foo]: tagOverrides.value must be set when operation is UPSERT",
  ],
  [
    "REMOVE with a value",
    override({ tagOverrides: { foo: { operation: "REMOVE", value: "x" } } }),
    "spec.metrics[0].overrides[0].tagOverrides[foo]: tagOverrides.value may only be set when operation is UPSERT",
  ],
  [
    "both metric and customMetric",
    override({ match: { metric: "REQUEST_COUNT", customMetric: "x" } }),
    "spec.metrics[0].overrides[0].match: only one of metric, customMetric may be set, found metric, customMetric",
  ],
  [
    "an unknown metric",
    override({ match: { metric: "REQUESTS" } }),
    'spec.metrics[0].overrides[0].match.metric: Unsupported value: "REQUESTS": supported values: "ALL_METRICS", "REQUEST_COUNT", "REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE", "TCP_OPENED_CONNECTIONS", "TCP_CLOSED_CONNECTIONS", "TCP_SENT_BYTES", "TCP_RECEIVED_BYTES", "GRPC_REQUEST_MESSAGES", "GRPC_RESPONSE_MESSAGES"',
  ],
  [
    "a reporting interval below 1ms",
    { metrics: [{ reportingInterval: "500us" }] },
    "spec.metrics[0].reportingInterval: duration must be greater than 1ms",
  ],
  [
    "a targetRef across namespaces",
    { targetRef: { kind: "Service", name: "reviews", namespace: "other" } },
    "spec.targetRef.namespace: targetRef namespace must not be set; cross namespace referencing is not supported",
  ],
];

describe("Telemetry validation", () => {
  it.each(invalid)("refuses %s", (_label, spec, expected) => {
    expect(errors(K, spec)).toEqual(full(K, expected));
  });

  it.each([
    [
      "mesh-wide access logs to the built-in envoy provider",
      logs({ providers: [{ name: "envoy" }] }),
    ],
    [
      "a CEL filter with calls, maps, lists and strings",
      logs({
        filter: {
          expression:
            "response.code >= 400 || (has(request.headers) && request.headers['x-debug'] in ['1', \"true\"]) || {'a': 1u}.size() == 1 && !(xds.cluster_name.startsWith('outbound')) ? true : false",
        },
      }),
    ],
    ["access logs off", logs({ disabled: true })],
    [
      "tracing at 10% with tags",
      tracing({
        randomSamplingPercentage: 10,
        customTags: { env: { literal: { value: "prod" } }, ua: { header: { name: "user-agent" } } },
      }),
    ],
    [
      "a metric override",
      override({
        match: { metric: "REQUEST_COUNT", mode: "SERVER" },
        tagOverrides: {
          request_host: { value: "request.host" },
          grpc_response_status: { operation: "REMOVE" },
        },
      }),
    ],
    [
      "a targetRef to a Gateway",
      { targetRef: { kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" } },
    ],
  ])("accepts %s", (_label, spec) => {
    expect(errors(K, spec)).toEqual([]);
  });

  it("warns about a provider the mesh config does not declare, naming the field", () => {
    const spec = {
      tracing: [{ providers: [{ name: "jaeger" }] }],
      metrics: [{ providers: [{ name: "prometheus" }] }],
    };
    const result = validate(object(K, spec), { extensionProviders: ["zipkin"] });
    expect(result.errors).toEqual([]);
    expect(result.warnings.map(w => w.message)).toEqual([
      'Telemetry default/x: spec.tracing[0].providers[0].name: provider "jaeger" is not declared in the mesh config\'s extensionProviders (known: envoy, prometheus, stackdriver, zipkin); it is ignored',
    ]);
    // Without the mesh config (admission), providers are not judged.
    expect(warnings(K, spec)).toEqual([]);
  });

  it("warns about more than one tracing entry or provider, as Istio does", () => {
    expect(warnings(K, { tracing: [{ providers: [{ name: "a" }, { name: "b" }] }, {}] })).toEqual(
      full(K, [
        "spec.tracing: multiple tracing is not currently supported",
        "spec.tracing[0].providers: multiple providers is not currently supported",
      ]),
    );
  });

  it("is served as v1 and v1alpha1", () => {
    for (const v of ["v1", "v1alpha1"])
      expect(validate({ ...object(K, {}), apiVersion: `telemetry.istio.io/${v}` }).errors).toEqual(
        [],
      );
    expect(
      validate({ ...object(K, {}), apiVersion: "telemetry.istio.io/v1beta1" }).errors,
    ).toHaveLength(1);
  });
});

describe("Istio's own Telemetry files", () => {
  const read = (file: string) =>
    parseAllDocuments(readFileSync(sharedPath(`istio/${file}`), "utf8"))
      .map(d => d.toJS() as Record<string, unknown> | null)
      .filter((o): o is Record<string, unknown> => o !== null && o.kind === K);
  const valid = [
    ...read("pkg/config/validation/testdata/crds/telemetry-valid.yaml"),
    ...read("samples/open-telemetry/tracing/telemetry.yaml"),
    ...read("samples/open-telemetry/loki/telemetry.yaml"),
    ...read("pilot/pkg/xds/testdata/benchmarks/telemetry-api.yaml"),
  ];
  it.each(valid.map(o => [(o.metadata as { name: string }).name, o] as const))(
    "accepts %s",
    (_name, o) => {
      expect(validate(o).errors.map(e => e.message)).toEqual([]);
    },
  );

  // Istio's expected error (`_err`), and the field path and rule Rigging reports for it.
  const ours: Record<string, string> = {
    "bad-provider":
      'spec.metrics[0].providers[0].name: Invalid value: "": should be at least 1 chars long',
    "bad-custom-metric":
      'spec.metrics[0].overrides[0].match.customMetric: Invalid value: "": should be at least 1 chars long',
    "bad-tag-upsert":
      "spec.metrics[0].overrides[0].tagOverrides[foo]: tagOverrides.value must be set when operation is UPSERT",
    "bad-tag-remove":
      "spec.metrics[0].overrides[0].tagOverrides[foo]: tagOverrides.value may only be set when operation is UPSERT",
  };
  const invalidDocs = read("pkg/config/validation/testdata/crds/telemetry-invalid.yaml");
  it("reads every invalid file", () => {
    expect(invalidDocs.map(o => (o.metadata as { name: string }).name).sort()).toEqual(
      Object.keys(ours).sort(),
    );
  });
  it.each(invalidDocs.map(o => [(o.metadata as { name: string }).name, o] as const))(
    "refuses %s",
    (name, { _err, ...o }) => {
      expect(typeof _err).toBe("string");
      expect(validate(o).errors.map(e => e.message)).toEqual(full(K, ours[name]!, name));
    },
  );
});

describe("CEL syntax", () => {
  it.each([
    "true",
    "response.code == 200",
    "1.5e3 > 0.5 && 0x1F == 31u",
    "r\"raw\\d\" != b'bytes'",
    "'''triple\nquoted'''.size() > 0",
    "[1, 2, 3,][0] == 1",
    "google.protobuf.Duration{seconds: 1} != null",
    "-(-1) == 1 && !!true",
    ".root.field == 1",
  ])("parses %s", expr => {
    expect(checkCelSyntax(expr)).toBeUndefined();
  });

  it.each([
    ["1 +", "Syntax error at column 4: expected a name, found '<EOF>'"],
    ["a ? b", "Syntax error at column 6: expected ':', found '<EOF>'"],
    ["'open", "Syntax error at column 1: unterminated string literal"],
    ["if == 1", "Syntax error at column 1: expected a name, found 'if'"],
    ["a b", "Syntax error at column 3: unexpected input after the expression, found 'b'"],
    ["f(1,)", "Syntax error at column 5: expected a name, found ')'"],
  ])("refuses %s", (expr, message) => {
    expect(checkCelSyntax(expr)).toBe(message);
  });
});
