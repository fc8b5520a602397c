import { errors, full, warnings, type Row } from "./table";
import type { KindName } from "../../../mesh/api/kinds";

const K = "WorkloadEntry";

const invalid: Row[] = [
  ["no address and no network", {}, "spec.address: address is required"],
  [
    "an address that is neither IP nor FQDN",
    { address: "vm_1.example.com" },
    'spec.address: endpoint address "vm_1.example.com" is not a valid FQDN or an IP address',
  ],
  [
    "a relative unix socket",
    { address: "unix://relative" },
    "spec.address: relative is not an absolute path to a file",
  ],
  [
    "a unix socket directory",
    { address: "unix:///var/run/" },
    "spec.address: /var/run/ is not an absolute path to a file",
  ],
  ["an empty unix socket", { address: "unix://" }, "spec.address: unix address must not be empty"],
  [
    "a unix socket with ports",
    { address: "unix:///var/run/a.sock", ports: { http: 80 } },
    "spec.ports: unix endpoint unix:///var/run/a.sock must not include ports",
  ],
  [
    "a port above 65535",
    { address: "10.0.0.1", ports: { http: 99999 } },
    "spec.ports[http]: port number 99999 must be in the range 1..65535",
  ],
  [
    "port 0",
    { address: "10.0.0.1", ports: { http: 0 } },
    "spec.ports[http]: port number 0 must be in the range 1..65535",
  ],
  [
    "a port name that is not a label",
    { address: "10.0.0.1", ports: { http_1: 80 } },
    "spec.ports[http_1]: invalid port name: http_1",
  ],
  [
    "a negative port",
    { address: "10.0.0.1", ports: { http: -1 } },
    "spec.ports[http]: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "a string port",
    { address: "10.0.0.1", ports: { http: "80" } },
    "spec.ports[http]: Invalid type: expected integer, got string",
  ],
  [
    "a bad label key",
    { address: "10.0.0.1", labels: { "-app": "x" } },
    'spec.labels[-app]: invalid label key: "-app"',
  ],
  [
    "a bad label value",
    { address: "10.0.0.1", labels: { app: "a b" } },
    'spec.labels[app]: invalid label value: "a b"',
  ],
  [
    "an over-long address",
    { address: `${"a".repeat(250)}.example.com` },
    "spec.address: Too long: may not be more than 256 bytes",
  ],
  [
    "a negative weight",
    { address: "10.0.0.1", weight: -1 },
    "spec.weight: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "a numeric top-level domain",
    { address: "vm.123" },
    'spec.address: endpoint address "vm.123" is not a valid FQDN or an IP address',
  ],
  [
    "a bad IPv4",
    { address: "10.0.0.256" },
    'spec.address: endpoint address "10.0.0.256" is not a valid FQDN or an IP address',
  ],
  [
    "an address that is a number",
    { address: 10 },
    "spec.address: Invalid type: expected string, got integer",
  ],
  ["spec as a list", [], "spec: Invalid type: expected object, got array"],
  ["a missing spec", undefined, "spec: Required value"],
];

const valid: [string, unknown][] = [
  [
    "an IPv4 address with ports",
    {
      address: "10.0.0.1",
      ports: { http: 8080, grpc: 9090 },
      labels: { app: "vm" },
      serviceAccount: "vm-sa",
    },
  ],
  ["an IPv6 address", { address: "2001:db8::10" }],
  ["a DNS name", { address: "vm1.example.com" }],
  ["an abstract unix socket", { address: "unix://@app" }],
  ["a network-only entry (reached through its gateway)", { network: "remote-net" }],
  ["locality and weight", { address: "10.0.0.1", locality: "us-east/zone1", weight: 3 }],
];

describe("WorkloadEntry validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
  it("warns about an entry with a network but no address", () => {
    expect(warnings(K, { network: "remote-net" })).toEqual(
      full(K, 'spec.address: address is unset with network "remote-net"'),
    );
  });
});

/**
 * Disagreements with Istio found by running Istio's own validation (ValidateWorkloadEntry and the
 * other validators that call labels.Instance.Validate) on the same specs.
 */
describe("label maps: parity with Istio", () => {
  const long = "a".repeat(64);
  it.each<[string, KindName, unknown]>([
    [
      "a WorkloadEntry label value over 63 characters",
      "WorkloadEntry",
      { address: "10.0.0.1", labels: { app: long } },
    ],
    [
      "a ServiceEntry endpoint label value over 63 characters",
      "ServiceEntry",
      {
        hosts: ["a.example.com"],
        ports: [{ number: 80, name: "http", protocol: "HTTP" }],
        resolution: "STATIC",
        endpoints: [{ address: "10.0.0.1", labels: { app: long } }],
      },
    ],
    [
      "a DestinationRule subset label value over 63 characters",
      "DestinationRule",
      { host: "reviews", subsets: [{ name: "v1", labels: { version: long } }] },
    ],
    [
      "a VirtualService sourceLabels value over 63 characters",
      "VirtualService",
      {
        hosts: ["reviews"],
        http: [
          {
            match: [{ sourceLabels: { app: long } }],
            route: [{ destination: { host: "reviews" } }],
          },
        ],
      },
    ],
    [
      "a WorkloadGroup label value over 63 characters",
      "WorkloadGroup",
      { metadata: { labels: { app: long } }, template: {} },
    ],
  ])("accepts %s (labels.Instance.Validate has no length limit)", (_label, kind, spec) =>
    expect(errors(kind, spec)).toEqual([]),
  );
  it("still refuses a selector label value over 63 characters (the CRD's maxLength)", () =>
    expect(
      errors("DestinationRule", {
        host: "reviews",
        workloadSelector: { matchLabels: { app: long } },
      }),
    ).toEqual(
      full(
        "DestinationRule",
        "spec.workloadSelector.matchLabels[app]: Too long: may not be more than 63 bytes",
      ),
    ));
});

/**
 * Rules of Istio's CRD (CEL) that test a field's presence with `has()`: the API server counts a
 * present empty list, map or string, where Istio's webhook code counts only non-empty ones.
 */
describe("WorkloadEntry validation: parity with Istio's CRD", () => {
  it.each<Row>([
    [
      'a port name of 63 characters (CEL "port name must be valid": size(key) < 63)',
      { address: "10.0.0.1", ports: { ["a".repeat(63)]: 80 } },
      `spec.ports[${"a".repeat(63)}]: port name must be valid`,
    ],
    [
      'a unix address with `ports: {}` (CEL "UDS may not include ports")',
      { address: "unix:///var/run/a.sock", ports: {} },
      "spec.ports: unix endpoint unix:///var/run/a.sock must not include ports",
    ],
  ])("refuses %s", (_label, spec, expected) => expect(errors(K, spec)).toEqual(full(K, expected)));
  it("accepts a port name of 62 characters", () =>
    expect(errors(K, { address: "10.0.0.1", ports: { ["a".repeat(62)]: 80 } })).toEqual([]));
});
