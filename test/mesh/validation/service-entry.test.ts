import { errors, full, warnings, type Row } from "./table";

const K = "ServiceEntry";
const port = (number = 443, name = "https", protocol = "TLS") => ({ number, name, protocol });
const se = (extra: object) => ({
  hosts: ["api.example.com"],
  ports: [port()],
  resolution: "DNS",
  location: "MESH_EXTERNAL",
  ...extra,
});

const invalid: Row[] = [
  ["no hosts", { ports: [port()] }, "spec.hosts: Required value"],
  [
    "an empty host list",
    se({ hosts: [] }),
    "spec.hosts: Invalid value: should have at least 1 items",
  ],
  ["the * host", se({ hosts: ["*"], resolution: "NONE" }), "spec.hosts[0]: invalid host *"],
  [
    "a bad host label",
    se({ hosts: ["api_v1.example.com"], resolution: "NONE" }),
    'spec.hosts[0]: domain name "api_v1.example.com" invalid (label "api_v1" invalid)',
  ],
  [
    "an invalid address",
    se({ addresses: ["300.1.1.1"], resolution: "STATIC", endpoints: [{ address: "10.0.0.1" }] }),
    "spec.addresses[0]: 300.1.1.1 is not a valid IP",
  ],
  [
    "a CIDR with DNS resolution",
    se({ addresses: ["10.0.0.0/16"] }),
    "spec.addresses: CIDR addresses are allowed only for NONE/STATIC resolution types",
  ],
  [
    "duplicate port names",
    se({ ports: [port(443), port(8443)] }),
    'spec.ports[1].name: service entry port name "https" already defined',
  ],
  [
    "duplicate port numbers",
    se({ ports: [port(443, "a"), port(443, "b")] }),
    "spec.ports[1].number: service entry port 443 already defined",
  ],
  [
    "port 0",
    se({ ports: [port(0)] }),
    "spec.ports[0].number: port number 0 must be in the range 1..65535",
  ],
  [
    "a target port out of range",
    se({ ports: [{ ...port(), targetPort: 70000 }] }),
    "spec.ports[0].targetPort: port number 70000 must be in the range 1..65535",
  ],
  [
    "a port name that is not a label",
    se({ ports: [port(443, "HTTPS_PORT")] }),
    "spec.ports[0].name: invalid port name: HTTPS_PORT",
  ],
  [
    "an unknown protocol",
    se({ ports: [port(443, "q", "QUIC")] }),
    "spec.ports[0].protocol: unsupported protocol: QUIC",
  ],
  [
    "endpoints with NONE resolution",
    se({ resolution: "NONE", endpoints: [{ address: "10.0.0.1" }] }),
    "spec.endpoints: no endpoints should be provided for resolution type none",
  ],
  [
    "a DNS name as STATIC endpoint",
    se({ resolution: "STATIC", endpoints: [{ address: "api.example.com" }] }),
    'spec.endpoints[0].address: endpoint address "api.example.com" is not a valid IP address',
  ],
  [
    "a STATIC endpoint port the service lacks",
    se({ resolution: "STATIC", endpoints: [{ address: "10.0.0.1", ports: { http: 8080 } }] }),
    "spec.endpoints[0].ports[http]: endpoint port 8080 is not defined by the service entry",
  ],
  [
    "DNS with a wildcard host and no endpoints",
    se({ hosts: ["*.example.com"] }),
    'spec.hosts[0]: hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode DNS, domain name "*.example.com" invalid (label "*" invalid)',
  ],
  [
    "DNS_ROUND_ROBIN with two endpoints",
    se({
      resolution: "DNS_ROUND_ROBIN",
      endpoints: [{ address: "a.example.com" }, { address: "b.example.com" }],
    }),
    "spec.endpoints: there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN",
  ],
  [
    "DYNAMIC_DNS without a wildcard",
    se({ resolution: "DYNAMIC_DNS" }),
    "spec.hosts[0]: host must be wildcarded for resolution mode DYNAMIC_DNS",
  ],
  [
    "DYNAMIC_DNS over TCP",
    se({ hosts: ["*.example.com"], resolution: "DYNAMIC_DNS", ports: [port(5432, "pg", "TCP")] }),
    "spec.ports[0].protocol: only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS",
  ],
  [
    "several hosts on a TCP port",
    se({ hosts: ["a.example.com", "b.example.com"], ports: [port(5432, "pg", "TCP")] }),
    "spec.ports[0]: multiple hosts provided with non-HTTP, non-TLS ports",
  ],
  [
    "a selector and endpoints",
    se({
      resolution: "STATIC",
      workloadSelector: { labels: { app: "vm" } },
      endpoints: [{ address: "10.0.0.1" }],
    }),
    "spec: only one of WorkloadSelector or Endpoints is allowed in Service Entry",
  ],
  [
    "a wildcard selector",
    se({ resolution: "STATIC", workloadSelector: { labels: { app: "*" } } }),
    'spec.workloadSelector.labels[app]: wildcard is not supported in selector: "app=*"',
  ],
  [
    "exportTo nobody and somebody",
    se({ exportTo: ["~", "prod"] }),
    "spec.exportTo: cannot export service entry to no one (~) and someone",
  ],
  [
    "an unknown resolution",
    se({ resolution: "MAGIC" }),
    'spec.resolution: Unsupported value: "MAGIC": supported values: "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"',
  ],
  [
    "a unix endpoint with two service ports",
    se({
      resolution: "STATIC",
      ports: [port(1, "a"), port(2, "b")],
      endpoints: [{ address: "unix:///var/run/a.sock" }],
    }),
    "spec.endpoints[0]: exactly 1 service port required for unix endpoints",
  ],
];

const valid: [string, unknown][] = [
  ["a wildcard host with NONE resolution", se({ hosts: ["*.example.com"], resolution: "NONE" })],
  [
    "a CIDR with STATIC resolution",
    se({ addresses: ["10.0.0.0/16"], resolution: "STATIC", endpoints: [{ address: "10.0.0.1" }] }),
  ],
  ["IPv6 addresses", se({ addresses: ["2001:db8::1", "2001:db8::/64"], resolution: "NONE" })],
  [
    "DNS endpoints with port remapping",
    se({ endpoints: [{ address: "a.example.com", ports: { https: 8443 } }] }),
  ],
  [
    "DYNAMIC_DNS with a wildcard and HTTP",
    se({ hosts: ["*.example.com"], resolution: "DYNAMIC_DNS", ports: [port(80, "http", "HTTP")] }),
  ],
  [
    "several hosts over HTTP",
    se({ hosts: ["a.example.com", "b.example.com"], ports: [port(80, "http", "HTTP")] }),
  ],
  ["exportTo nobody", se({ exportTo: ["~"] })],
  [
    "a MESH_INTERNAL selector entry",
    {
      hosts: ["vm.internal"],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      ports: [port(80, "http", "HTTP")],
      workloadSelector: { labels: { app: "vm" } },
    },
  ],
  [
    "a unix socket endpoint",
    se({
      resolution: "STATIC",
      ports: [port(80, "http", "HTTP")],
      endpoints: [{ address: "unix:///var/run/app.sock" }],
    }),
  ],
];

/**
 * Istio's own DYNAMIC_DNS cases (pkg/config/validation/validation_test.go, TestValidateServiceEntries),
 * written as Istio writes them: no `location`, which Istio reads as MESH_EXTERNAL (its zero value).
 */
const http = (number: number, name: string) => ({ number, protocol: "http", name });
const dynamic = (extra: object) => ({
  hosts: ["*.google.com"],
  ports: [http(80, "http-valid1")],
  resolution: "DYNAMIC_DNS",
  ...extra,
});
const istioDynamicDns: [label: string, spec: unknown, labels: object, expected: string[]][] = [
  [
    "discovery type DYNAMIC_DNS",
    dynamic({ ports: [http(80, "http-valid1"), http(8080, "http-valid2")] }),
    {},
    [],
  ],
  [
    "GRPC protocol",
    dynamic({
      hosts: ["*.svc.cluster.local"],
      ports: [{ number: 9090, protocol: "GRPC", name: "grpc" }],
    }),
    {},
    [],
  ],
  [
    "multiple wildcarded hosts",
    dynamic({ hosts: ["*.google.com", "*.amazon.com"], addresses: [] }),
    {},
    [],
  ],
  ["internal mesh location", dynamic({ location: "MESH_INTERNAL" }), {}, []],
  ["external mesh location", dynamic({ location: "MESH_EXTERNAL" }), {}, []],
  [
    "MESH_INTERNAL with waypoint (invalid)",
    dynamic({ location: "MESH_INTERNAL" }),
    { "istio.io/use-waypoint": "my-waypoint" },
    [
      "spec.location: location MESH_INTERNAL with resolution type DYNAMIC_DNS is not supported when using waypoints",
    ],
  ],
  [
    "MESH_INTERNAL with waypoint none",
    dynamic({ location: "MESH_INTERNAL" }),
    { "istio.io/use-waypoint": "None" },
    [],
  ],
  [
    "unsupported TCP protocol",
    dynamic({
      ports: [http(80, "http-valid1"), { number: 81, protocol: "TCP", name: "tcp-valid1" }],
    }),
    {},
    [
      "spec.ports[1].protocol: only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS",
    ],
  ],
  [
    "FQDN host",
    dynamic({ hosts: ["google.com"] }),
    {},
    ["spec.hosts[0]: host must be wildcarded for resolution mode DYNAMIC_DNS"],
  ],
  [
    "endpoints set",
    dynamic({ endpoints: [{ address: "in.google.com", ports: { "http-valid1": 9080 } }] }),
    {},
    [
      "spec.endpoints: endpoints cannot be set for resolution type DYNAMIC_DNS. Destination IP address determined from hosts field values",
    ],
  ],
  [
    "IP address set",
    dynamic({
      addresses: ["10.10.10.10"],
      ports: [http(80, "http-valid1"), http(8080, "http-valid2")],
    }),
    {},
    [
      "spec.addresses: addresses cannot be set for resolution type DYNAMIC_DNS. HTTP route domains will only be generated from the hosts field values",
    ],
  ],
  [
    "empty hosts",
    dynamic({ hosts: [] }),
    {},
    ["spec.hosts: Invalid value: should have at least 1 items"],
  ],
];

describe("ServiceEntry validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
  it.each(istioDynamicDns)(
    "judges Istio's DYNAMIC_DNS case %s as Istio does",
    (_l, spec, labels, expected) => expect(errors(K, spec, { labels })).toEqual(full(K, expected)),
  );
  it.each<Row>([
    [
      "a partial wildcard host",
      se({ hosts: ["*api.example.com"], resolution: "NONE" }),
      'spec.hosts[0]: partial wildcard "*api.example.com" not allowed',
    ],
    [
      "a selector with NONE resolution",
      se({ resolution: "NONE", workloadSelector: { labels: { app: "vm" } } }),
      "spec.workloadSelector: workloadSelector should not be set when resolution mode is NONE",
    ],
  ])("warns about %s", (_label, spec, expected) => {
    expect(errors(K, spec)).toEqual([]);
    expect(warnings(K, spec)).toEqual(full(K, expected));
  });
  it("warns about TCP ports without addresses when auto-allocation is off", () => {
    const spec = se({ ports: [port(5432, "pg", "TCP")] });
    expect(
      warnings(K, spec, { labels: { "networking.istio.io/enable-autoallocate-ip": "false" } }),
    ).toEqual(
      full(
        K,
        "spec.ports[0]: addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled",
      ),
    );
    expect(warnings(K, spec)).toEqual([]);
  });
});

/**
 * Rules of Istio's CRD (CEL) that test a field's presence with `has()`: the API server counts a
 * present empty list, map or string, where Istio's webhook code counts only non-empty ones.
 */
describe("ServiceEntry validation: parity with Istio's CRD", () => {
  const base = {
    hosts: ["a.example.com"],
    ports: [{ number: 80, name: "http", protocol: "HTTP" }],
  };
  it.each<Row>([
    [
      'NONE resolution with `endpoints: []` (CEL "NONE mode cannot set endpoints")',
      { ...base, resolution: "NONE", endpoints: [] },
      "spec.endpoints: NONE mode cannot set endpoints",
    ],
    [
      "no resolution (NONE) with `endpoints: []`",
      { ...base, endpoints: [] },
      "spec.endpoints: NONE mode cannot set endpoints",
    ],
    [
      'an endpoint port name of 63 characters (CEL "port name must be valid": size(key) < 63)',
      {
        ...base,
        ports: [{ number: 80, name: "a".repeat(63), protocol: "HTTP" }],
        resolution: "STATIC",
        endpoints: [{ address: "10.0.0.1", ports: { ["a".repeat(63)]: 80 } }],
      },
      `spec.endpoints[0].ports[${"a".repeat(63)}]: port name must be valid`,
    ],
    [
      'a unix endpoint with `ports: {}` (CEL "UDS may not include ports")',
      {
        ...base,
        resolution: "STATIC",
        endpoints: [{ address: "unix:///var/run/a.sock", ports: {} }],
      },
      "spec.endpoints[0].ports: unix endpoint unix:///var/run/a.sock must not include ports",
    ],
  ])("refuses %s", (_label, spec, expected) => expect(errors(K, spec)).toEqual(full(K, expected)));
});
