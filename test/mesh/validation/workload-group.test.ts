import { errors, full, type Row } from "./table";

const K = "WorkloadGroup";
const wg = (extra: object) => ({ template: { serviceAccount: "vm", network: "n1" }, ...extra });
const probe = (p: object) => wg({ probe: p });

const invalid: Row[] = [
  ["a missing spec", undefined, ["spec: Required value", "spec.template: Required value"]],
  ["a missing template", { probe: { tcpSocket: { port: 80 } } }, "spec.template: Required value"],
  [
    "a TCP probe port above 65535",
    probe({ tcpSocket: { port: 65536 } }),
    "spec.probe.tcpSocket.port: port number 65536 must be in the range 1..65535",
  ],
  [
    "an HTTP probe port 0",
    probe({ httpGet: { port: 0 } }),
    "spec.probe.httpGet.port: port number 0 must be in the range 1..65535",
  ],
  [
    "an HTTP probe without port",
    probe({ httpGet: { path: "/ready" } }),
    "spec.probe.httpGet.port: Required value",
  ],
  [
    "an HTTP probe scheme other than HTTP(S)",
    probe({ httpGet: { port: 80, scheme: "FTP" } }),
    'spec.probe.httpGet.scheme: httpGet.scheme must be one of "HTTPS", "HTTP"',
  ],
  [
    "a probe header name with *",
    probe({ httpGet: { port: 80, httpHeaders: [{ name: "**", value: "x" }] } }),
    "spec.probe.httpGet.httpHeaders[0].name: Invalid value: \"**\": should match '^[-_A-Za-z0-9]+$'",
  ],
  [
    "a probe header name with _",
    probe({ httpGet: { port: 80, httpHeaders: [{ name: "x_user", value: "x" }] } }),
    "spec.probe.httpGet.httpHeaders[0].name: header name x_user is not a valid header name",
  ],
  ["an exec probe without command", probe({ exec: {} }), "spec.probe.exec.command: Required value"],
  [
    "an exec probe with an empty command",
    probe({ exec: { command: [] } }),
    "spec.probe.exec.command: exec.command is required",
  ],
  [
    "an empty exec argument",
    probe({ exec: { command: [""] } }),
    'spec.probe.exec.command[0]: Invalid value: "": should be at least 1 chars long',
  ],
  [
    "two probe methods",
    probe({ tcpSocket: { port: 80 }, exec: { command: ["true"] } }),
    "spec.probe: only one of httpGet, tcpSocket, exec, grpc may be set, found tcpSocket, exec",
  ],
  [
    "a probe with no method",
    probe({ periodSeconds: 5 }),
    "spec.probe: unknown health check method: set one of httpGet, tcpSocket, exec, grpc",
  ],
  [
    "a negative period",
    probe({ periodSeconds: -1, tcpSocket: { port: 80 } }),
    "spec.probe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "a negative failure threshold",
    probe({ failureThreshold: -3, tcpSocket: { port: 80 } }),
    "spec.probe.failureThreshold: Invalid value: -3: must be greater than or equal to 0",
  ],
  [
    "a gRPC probe port 0",
    probe({ grpc: { port: 0 } }),
    "spec.probe.grpc.port: port number 0 must be in the range 1..65535",
  ],
  [
    "a bad metadata label",
    wg({ metadata: { labels: { "app/": "x" } } }),
    'spec.metadata.labels[app/]: invalid label key: "app/"',
  ],
  [
    "a template unix address with ports",
    { template: { address: "unix:///a.sock", ports: { http: 80 } } },
    "spec.template.ports: UDS may not include ports",
  ],
  [
    "a relative template unix address",
    { template: { address: "unix://a.sock" } },
    "spec.template.address: a.sock is not an absolute path to a file",
  ],
  [
    "a template port out of range",
    { template: { ports: { http: 70000 } } },
    "spec.template.ports[http]: port number 70000 must be in the range 1..65535",
  ],
  [
    "an unknown probe field type",
    probe({ tcpSocket: { port: "http" } }),
    "spec.probe.tcpSocket.port: Invalid type: expected integer, got string",
  ],
];

const valid: [string, unknown][] = [
  ["an empty template (filled at registration)", { template: {} }],
  [
    "an HTTP probe",
    probe({
      initialDelaySeconds: 5,
      periodSeconds: 10,
      httpGet: {
        path: "/ready",
        port: 8080,
        scheme: "HTTPS",
        httpHeaders: [{ name: "x-probe", value: "1" }],
      },
    }),
  ],
  ["an exec probe", probe({ exec: { command: ["cat", "/tmp/ready"] } })],
  ["a gRPC probe", probe({ grpc: { port: 9090, service: "health" } })],
  [
    "metadata labels and annotations",
    wg({
      metadata: {
        labels: { app: "vm", "example.com/tier": "db" },
        annotations: { note: "anything goes" },
      },
    }),
  ],
];

describe("WorkloadGroup validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
});

/**
 * Rules of Istio's CRD (CEL) that test a field's presence with `has()`: the API server counts a
 * present empty list, map or string, where Istio's webhook code counts only non-empty ones.
 */
describe("WorkloadGroup validation: parity with Istio's CRD", () => {
  it.each<[string, string]>([
    ["an underscore", "a_b"],
    ["63 characters", "a".repeat(63)],
  ])('refuses a template port name with %s (CEL "port name must be valid")', (_label, name) =>
    expect(errors(K, { template: { ports: { [name]: 80 } } })).toEqual(
      full(K, `spec.template.ports[${name}]: port name must be valid`),
    ),
  );
});
