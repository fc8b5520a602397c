import { errors, full, warnings, type Row } from "./table";

const K = "Sidecar";
const egress = (hosts: string[], extra: object = {}) => ({ egress: [{ hosts, ...extra }] });
const ingress = (extra: object) => ({
  ingress: [
    {
      port: { number: 9080, protocol: "HTTP", name: "http" },
      defaultEndpoint: "127.0.0.1:8080",
      ...extra,
    },
  ],
});

const invalid: Row[] = [
  ["an empty configuration", {}, "spec: sidecar: empty configuration provided"],
  [
    "an egress host without namespace",
    egress(["reviews.default.svc.cluster.local"]),
    "spec.egress[0].hosts[0]: host must be of form namespace/dnsName",
  ],
  [
    "an egress listener without hosts",
    egress([]),
    "spec.egress[0].hosts: sidecar: egress listener must contain at least one host",
  ],
  [
    "a short egress host",
    egress(["default/reviews"]),
    "spec.egress[0].hosts[0]: short names (non FQDN) are not allowed",
  ],
  [
    "a partial wildcard egress host",
    egress(["*/foo*.com"]),
    [
      'spec.egress[0].hosts[0]: domain name "foo*.com" invalid (label "foo*" invalid)',
      'spec.egress[0].hosts[0]: partial wildcard "foo*.com" not allowed',
    ],
  ],
  [
    "a bad egress namespace",
    egress(["Bad_NS/*"]),
    'spec.egress[0].hosts[0]: invalid namespace value "Bad_NS" in sidecar',
  ],
  [
    "an empty egress host part",
    egress(["default/"]),
    [
      "spec.egress[0].hosts[0]: config namespace and dnsName in host entry cannot be empty",
      "spec.egress[0].hosts[0]: short names (non FQDN) are not allowed",
      "spec.egress[0].hosts[0]: empty domain name not allowed",
    ],
  ],
  [
    "two catch-all egress listeners",
    { egress: [{ hosts: ["./*"] }, { hosts: ["istio-system/*"] }] },
    "spec.egress[0]: sidecar: the egress listener with empty port should be the last listener in the list",
  ],
  [
    "duplicate egress ports",
    {
      egress: [
        { port: { number: 80, protocol: "HTTP" }, hosts: ["./*"] },
        { port: { number: 80, protocol: "HTTP" }, hosts: ["prod/*"] },
      ],
    },
    "spec.egress[1].port.number: sidecar: ports on IP bound listeners must be unique",
  ],
  [
    "egress port 0 without a unix bind",
    egress(["./*"], { port: { number: 0, protocol: "HTTP" } }),
    "spec.egress[0].bind: sidecar: ports with 0 value must have a unix domain socket bind address",
  ],
  [
    "a unix egress listener with IPTABLES capture",
    egress(["./*"], {
      port: { number: 0, protocol: "HTTP" },
      bind: "unix:///var/run/a.sock",
      captureMode: "IPTABLES",
    }),
    "spec.egress[0].captureMode: sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners",
  ],
  [
    "an egress bind that is not an IP",
    egress(["./*"], { port: { number: 80, protocol: "HTTP" }, bind: "localhost" }),
    "spec.egress[0].bind: localhost is not a valid IP",
  ],
  [
    "an unknown egress protocol",
    egress(["./*"], { port: { number: 80, protocol: "SPDY" } }),
    "spec.egress[0].port.protocol: unsupported protocol: SPDY",
  ],
  [
    "an ingress listener without port",
    { ingress: [{ defaultEndpoint: "127.0.0.1:8080" }] },
    "spec.ingress[0].port: Required value",
  ],
  [
    "an ingress port out of range",
    ingress({ port: { number: 70000, protocol: "HTTP", name: "http" } }),
    "spec.ingress[0].port.number: port number 70000 must be in the range 1..65535",
  ],
  [
    "a remote default endpoint",
    ingress({ defaultEndpoint: "10.0.0.5:8080" }),
    "spec.ingress[0].defaultEndpoint: sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset",
  ],
  [
    "a default endpoint with a named port",
    ingress({ defaultEndpoint: "127.0.0.1:http" }),
    "spec.ingress[0].defaultEndpoint: sidecar: defaultEndpoint port (http) is not a number",
  ],
  [
    "ingress TLS on an HTTP port",
    ingress({ tls: { mode: "SIMPLE", serverCertificate: "/c.pem", privateKey: "/k.pem" } }),
    "spec.ingress[0].tls: server cannot have TLS settings for non HTTPS/TLS ports",
  ],
  [
    "ISTIO_MUTUAL ingress TLS",
    ingress({
      port: { number: 9443, protocol: "HTTPS", name: "https" },
      tls: { mode: "ISTIO_MUTUAL" },
    }),
    "spec.ingress[0].tls: configuration is invalid: cannot set mode to ISTIO_MUTUAL in sidecar ingress tls",
  ],
  [
    "a credentialName on ingress TLS",
    ingress({
      port: { number: 9443, protocol: "HTTPS", name: "https" },
      tls: { mode: "SIMPLE", credentialName: "c" },
    }),
    "spec.ingress[0].tls: sidecar: credentialName is not currently supported",
  ],
  [
    "an egress proxy without ALLOW_ANY",
    {
      outboundTrafficPolicy: {
        mode: "REGISTRY_ONLY",
        egressProxy: { host: "proxy.example.com", port: { number: 3128 } },
      },
    },
    "spec.outboundTrafficPolicy.egressProxy: sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode",
  ],
  [
    "an egress proxy without port",
    { outboundTrafficPolicy: { mode: "ALLOW_ANY", egressProxy: { host: "proxy.example.com" } } },
    "spec.outboundTrafficPolicy.egressProxy.port: sidecar: egress_proxy port must be non-nil",
  ],
  [
    "a wildcard selector",
    { workloadSelector: { labels: { app: "*" } }, ...egress(["./*"]) },
    'spec.workloadSelector.labels[app]: wildcard is not supported in selector: "app=*"',
  ],
  [
    "an empty inbound pool",
    { inboundConnectionPool: {} },
    "spec.inboundConnectionPool: connection pool must have at least one field",
  ],
  [
    "a target port",
    egress(["./*"], { port: { number: 80, protocol: "HTTP", targetPort: 8080 } }),
    "spec.egress[0].port.targetPort: targetPort has no impact on Sidecars",
  ],
];

const valid: [string, unknown][] = [
  ["the classic egress restriction", egress(["./*", "istio-system/*"])],
  ["*/* alone", egress(["*/*"])],
  ["an excluded namespace (~)", egress(["~/*", "prod/*"])],
  [
    "a unix socket egress listener",
    egress(["./*"], {
      port: { number: 0, protocol: "HTTP" },
      bind: "unix:///var/run/a.sock",
      captureMode: "NONE",
    }),
  ],
  ["ingress with IPv6 default endpoint", ingress({ defaultEndpoint: "[::1]:8080" })],
  [
    "ingress with a unix default endpoint",
    ingress({ defaultEndpoint: "unix:///var/run/app.sock" }),
  ],
  [
    "a per-port inbound pool",
    ingress({ connectionPool: { http: { http1MaxPendingRequests: 100 } } }),
  ],
  ["an outbound policy only", { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } }],
  [
    "an egress proxy with ALLOW_ANY",
    {
      outboundTrafficPolicy: {
        mode: "ALLOW_ANY",
        egressProxy: { host: "proxy.example.com", port: { number: 3128 } },
      },
    },
  ],
  [
    "ports and a catch-all last",
    {
      egress: [
        {
          port: { number: 9080, protocol: "HTTP", name: "http" },
          hosts: ["./reviews.default.svc.cluster.local"],
        },
        { hosts: ["istio-system/*"] },
      ],
    },
  ],
];

describe("Sidecar validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
  it.each<Row>([
    [
      "a duplicated egress host",
      egress(["prod/*", "prod/a.example.com"]),
      "spec.egress[0].hosts[1]: duplicated egress host: prod/a.example.com",
    ],
    [
      "*/* next to other hosts",
      egress(["*/*", "prod/*"]),
      "spec.egress[0].hosts: `*/*` host select all resources, no other hosts can be added",
    ],
    [
      "HTTP pool settings on a TCP port",
      {
        ingress: [
          {
            port: { number: 3306, protocol: "TCP", name: "db" },
            connectionPool: { http: { maxRetries: 1 } },
          },
        ],
      },
      'spec.ingress[0].connectionPool.http: sidecar: HTTP connection pool settings are configured for port 3306 ("db") but its protocol is not HTTP (TCP); only TCP settings will apply',
    ],
    [
      "an empty selector",
      { workloadSelector: {}, ...egress(["./*"]) },
      "spec.workloadSelector: sidecar: workload selector specified without labels, will be applied to all services in namespace",
    ],
  ])("warns about %s", (_label, spec, expected) => {
    expect(errors(K, spec)).toEqual([]);
    expect(warnings(K, spec)).toEqual(full(K, expected));
  });
});
