import { errors, full, warnings, type Row } from "./table";

const K = "PeerAuthentication";
const sel = { selector: { matchLabels: { app: "reviews" } } };

const invalid: Row[] = [
  [
    "an unknown mode",
    { mtls: { mode: "BLAH" } },
    'spec.mtls.mode: Unsupported value: "BLAH": supported values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
  ],
  [
    "a lower-case mode",
    { mtls: { mode: "strict" } },
    'spec.mtls.mode: Unsupported value: "strict": supported values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
  ],
  [
    "port-level mTLS without selector",
    { portLevelMtls: { "80": { mode: "STRICT" } } },
    "spec.portLevelMtls: mesh/namespace peer authentication cannot have port level mTLS",
  ],
  [
    "port-level mTLS with an empty selector",
    { selector: {}, portLevelMtls: { "80": { mode: "STRICT" } } },
    "spec.portLevelMtls: mesh/namespace peer authentication cannot have port level mTLS",
  ],
  [
    "an empty port-level map",
    { ...sel, portLevelMtls: {} },
    "spec.portLevelMtls: Invalid value: should have at least 1 properties",
  ],
  [
    "a non-numeric port key",
    { ...sel, portLevelMtls: { http: { mode: "STRICT" } } },
    'spec.portLevelMtls[http]: type conversion error from "http" to uint32',
  ],
  [
    "port 0",
    { ...sel, portLevelMtls: { "0": { mode: "STRICT" } } },
    "spec.portLevelMtls[0]: port must be in range 1..65535",
  ],
  [
    "port 65536",
    { ...sel, portLevelMtls: { "65536": { mode: "STRICT" } } },
    "spec.portLevelMtls[65536]: port must be in range 1..65535",
  ],
  [
    "a negative port key",
    { ...sel, portLevelMtls: { "-1": { mode: "STRICT" } } },
    'spec.portLevelMtls[-1]: type conversion error from "-1" to uint32',
  ],
  [
    "an unknown port mode",
    { ...sel, portLevelMtls: { "80": { mode: "ON" } } },
    'spec.portLevelMtls[80].mode: Unsupported value: "ON": supported values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
  ],
  [
    "a port entry that is not an object",
    { ...sel, portLevelMtls: { "80": "STRICT" } },
    "spec.portLevelMtls[80]: Invalid type: expected object, got string",
  ],
  [
    "a wildcard selector value",
    { selector: { matchLabels: { app: "rev*" } } },
    'spec.selector.matchLabels[app]: wildcard is not supported in selector: "app=rev*"',
  ],
  [
    "a wildcard selector key",
    { selector: { matchLabels: { "*": "x" } } },
    'spec.selector.matchLabels[*]: wildcard is not supported in selector: "*=x"',
  ],
  [
    "an empty selector key",
    { selector: { matchLabels: { "": "x" } } },
    'spec.selector.matchLabels[]: empty key is not supported in selector: "=x"',
  ],
  [
    "a selector value over 63 characters",
    { selector: { matchLabels: { app: "a".repeat(64) } } },
    "spec.selector.matchLabels[app]: Too long: may not be more than 63 bytes",
  ],
  [
    "selector labels as a list",
    { selector: { matchLabels: ["app=reviews"] } },
    "spec.selector.matchLabels: Invalid type: expected object, got array",
  ],
  ["mtls as a string", { mtls: "STRICT" }, "spec.mtls: Invalid type: expected object, got string"],
  ["an unknown kind version", null, "spec.mtls: never"],
  [
    "a mode that is a number",
    { mtls: { mode: 3 } },
    "spec.mtls.mode: Invalid type: expected string, got integer",
  ],
  [
    "two bad ports",
    { ...sel, portLevelMtls: { "0": { mode: "STRICT" }, "70000": { mode: "DISABLE" } } },
    [
      "spec.portLevelMtls[0]: port must be in range 1..65535",
      "spec.portLevelMtls[70000]: port must be in range 1..65535",
    ],
  ],
  [
    "a dry-run annotation (AuthorizationPolicy only)",
    { mtls: { mode: "STRICT" } },
    "metadata.annotations[istio.io/dry-run]: unsupported annotation istio.io/dry-run, please remove the annotation",
  ],
];

// Rows whose object differs from a plain spec.
const objectRows: Record<
  string,
  { spec?: unknown; metadata?: Record<string, unknown>; apiVersion?: string }
> = {
  "an unknown kind version": { apiVersion: "security.istio.io/v1alpha1" },
  "a dry-run annotation (AuthorizationPolicy only)": {
    metadata: { name: "default", annotations: { "istio.io/dry-run": "true" } },
  },
};

const valid: [string, unknown][] = [
  ["namespace-wide STRICT", { mtls: { mode: "STRICT" } }],
  ["an empty spec (inherit)", {}],
  [
    "a selector with port-level settings",
    {
      ...sel,
      mtls: { mode: "STRICT" },
      portLevelMtls: { "8080": { mode: "DISABLE" }, "9090": { mode: "PERMISSIVE" } },
    },
  ],
  [
    "UNSET inheriting from the namespace",
    { ...sel, mtls: { mode: "UNSET" }, portLevelMtls: { "8080": { mode: "DISABLE" } } },
  ],
  ["port 65535", { ...sel, portLevelMtls: { "65535": { mode: "STRICT" } } }],
];

import { validate } from "../../../mesh/validation";
import { object } from "./table";

describe("PeerAuthentication validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (label, spec, expected) => {
    const special = objectRows[label];
    if (special?.apiVersion) {
      const obj = { ...object(K, {}), apiVersion: special.apiVersion };
      expect(validate(obj).errors.map(e => e.message)).toEqual(
        full(
          K,
          "apiVersion: unrecognized type security.istio.io/v1alpha1, Kind=PeerAuthentication",
        ),
      );
      return;
    }
    const meta = special?.metadata ?? { name: "default" };
    expect(errors(K, spec, meta)).toEqual(full(K, expected, String(meta.name)));
  });
  it.each(valid)("accepts %s", (_label, spec) =>
    expect(errors(K, spec, { name: "default" })).toEqual([]),
  );

  it("accepts v1beta1 like v1", () => {
    const obj = {
      ...object(K, { mtls: { mode: "STRICT" } }, { name: "default" }),
      apiVersion: "security.istio.io/v1beta1",
    };
    expect(validate(obj)).toEqual({ errors: [], warnings: [] });
  });

  it.each<[string, unknown, Record<string, unknown>, string]>([
    [
      "a namespace-wide policy not named default",
      { mtls: { mode: "STRICT" } },
      { name: "strict" },
      'metadata.name: namespace-wide peer authentication should be named "default"; only the oldest namespace-wide policy takes effect',
    ],
    [
      "a mesh-wide policy not named default",
      { mtls: { mode: "STRICT" } },
      { name: "mesh", namespace: "istio-system" },
      'metadata.name: mesh-wide peer authentication should be named "default"; only the oldest mesh-wide policy takes effect',
    ],
    [
      "a selector in the root namespace",
      sel,
      { name: "reviews", namespace: "istio-system" },
      "spec.selector: peer authentication with a workload selector is ignored in the root namespace istio-system",
    ],
  ])("warns about %s", (_label, spec, meta, expected) => {
    const result = validate(object(K, spec, meta));
    expect(result.errors).toEqual([]);
    expect(result.warnings.map(w => w.message)).toEqual([
      `${K} ${String(meta.namespace ?? "default")}/${String(meta.name)}: ${expected}`,
    ]);
  });

  it("names the namespace-wide policy default without a warning", () => {
    expect(warnings(K, { mtls: { mode: "STRICT" } }, { name: "default" })).toEqual([]);
  });
});

/**
 * Disagreements with Istio found by running Istio's own validation on the same specs, the spec
 * decoded as istiod decodes it (jsonpb, each portLevelMtls key read as a JSON number).
 */
describe("PeerAuthentication validation: parity with Istio", () => {
  const ports = (key: string) => ({
    selector: { matchLabels: { app: "a" } },
    portLevelMtls: { [key]: { mode: "STRICT" } },
  });
  it("refuses a port key with a leading zero (Istio cannot decode it; CEL int() alone reads 80)", () =>
    expect(errors(K, ports("080"))).toEqual(
      full(K, 'spec.portLevelMtls[080]: port "080" must be a decimal number without leading zeros'),
    ));
  it("accepts the highest port key", () => expect(errors(K, ports("65535"))).toEqual([]));
});
