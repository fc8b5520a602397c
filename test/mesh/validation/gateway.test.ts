import { errors, full, warnings, type Row } from "./table";

const K = "Gateway";
const http = { number: 80, name: "http", protocol: "HTTP" };
const https = { number: 443, name: "https", protocol: "HTTPS" };
const server = (extra: object) => ({
  selector: { istio: "ingressgateway" },
  servers: [{ port: http, hosts: ["*"], ...extra }],
});
const tlsServer = (tls: object, extra: object = {}) => ({
  servers: [{ port: https, hosts: ["a.example.com"], tls, ...extra }],
});

const invalid: Row[] = [
  [
    "no servers",
    { selector: { istio: "ingressgateway" } },
    "spec.servers: gateway must have at least one server",
  ],
  [
    "a server without hosts",
    server({ hosts: [] }),
    "spec.servers[0].hosts: server config must contain at least one host",
  ],
  [
    "a short host name",
    server({ hosts: ["reviews"] }),
    "spec.servers[0].hosts[0]: short names (non FQDN) are not allowed",
  ],
  [
    "a partial wildcard host",
    server({ hosts: ["foo*.example.com"] }),
    [
      'spec.servers[0].hosts[0]: domain name "foo*.example.com" invalid (label "foo*" invalid)',
      'spec.servers[0].hosts[0]: partial wildcard "foo*.example.com" not allowed',
    ],
  ],
  [
    "a bad host namespace",
    server({ hosts: ["Bad_NS/a.example.com"] }),
    'spec.servers[0].hosts[0]: invalid namespace value "Bad_NS" in gateway',
  ],
  [
    "an empty namespace/host part",
    server({ hosts: ["/a.example.com"] }),
    [
      "spec.servers[0].hosts[0]: config namespace and dnsName in host entry cannot be empty",
      'spec.servers[0].hosts[0]: invalid namespace value "" in gateway',
    ],
  ],
  [
    "an unknown protocol",
    server({ port: { ...http, protocol: "QUIC" } }),
    'spec.servers[0].port.protocol: invalid protocol "QUIC", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP',
  ],
  [
    "port 0",
    server({ port: { ...http, number: 0 } }),
    "spec.servers[0].port.number: port number 0 must be in the range 1..65535",
  ],
  [
    "a targetPort",
    server({ port: { ...http, targetPort: 8080 } }),
    "spec.servers[0].port.targetPort: targetPort has no impact on Gateways",
  ],
  [
    "an empty port name",
    server({ port: { ...http, name: "" } }),
    "spec.servers[0].port.name: port name must be set",
  ],
  [
    "a missing port protocol",
    server({ port: { number: 80, name: "http" } }),
    "spec.servers[0].port.protocol: Required value",
  ],
  [
    "duplicate port names",
    {
      servers: [
        { port: http, hosts: ["*"] },
        { port: { ...http, number: 8080 }, hosts: ["*"] },
      ],
    },
    "spec.servers[1].port.name: port names in servers must be unique: duplicate name http",
  ],
  [
    "an invalid bind",
    server({ bind: "localhost" }),
    "spec.servers[0].bind: localhost is not a valid IP",
  ],
  [
    "a unix bind with a port",
    server({ bind: "unix:///var/run/gw.sock" }),
    "spec.servers[0].bind: port number must be 0 for unix domain socket: 80",
  ],
  [
    "HTTPS without TLS",
    { servers: [{ port: https, hosts: ["a.example.com"] }] },
    "spec.servers[0].tls: server must have TLS settings for HTTPS/TLS protocols",
  ],
  [
    "TLS settings on TCP",
    {
      servers: [
        {
          port: { number: 31400, name: "tcp", protocol: "TCP" },
          hosts: ["*"],
          tls: { mode: "SIMPLE", credentialName: "c" },
        },
      ],
    },
    "spec.servers[0].tls: server cannot have TLS settings for non HTTPS/TLS ports",
  ],
  [
    "certificates on plain HTTP",
    server({ tls: { mode: "SIMPLE", credentialName: "c" } }),
    "spec.servers[0].tls: server cannot have TLS settings for plain text HTTP ports",
  ],
  [
    "SIMPLE without certificates",
    tlsServer({ mode: "SIMPLE" }),
    [
      "spec.servers[0].tls: SIMPLE TLS requires a server certificate",
      "spec.servers[0].tls: SIMPLE TLS requires a private key",
    ],
  ],
  [
    "MUTUAL without client CA",
    tlsServer({ mode: "MUTUAL", serverCertificate: "/c.pem", privateKey: "/k.pem" }),
    "spec.servers[0].tls: MUTUAL TLS requires a client CA bundle",
  ],
  [
    "ISTIO_MUTUAL with a credentialName",
    tlsServer({ mode: "ISTIO_MUTUAL", credentialName: "c" }),
    "spec.servers[0].tls: ISTIO_MUTUAL TLS cannot have associated credentialName",
  ],
  [
    "two certificate sources",
    tlsServer({
      mode: "SIMPLE",
      credentialName: "c",
      serverCertificate: "/c.pem",
      privateKey: "/k.pem",
    }),
    "spec.servers[0].tls: only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified",
  ],
  [
    "CRL with SIMPLE",
    tlsServer({
      mode: "SIMPLE",
      serverCertificate: "/c.pem",
      privateKey: "/k.pem",
      caCrl: "/crl.pem",
    }),
    "spec.servers[0].tls: CRL is not supported with SIMPLE TLS",
  ],
  [
    "an unknown TLS mode",
    tlsServer({ mode: "STRICT" }),
    'spec.servers[0].tls.mode: Unsupported value: "STRICT": supported values: "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"',
  ],
  [
    "three credential names",
    tlsServer({ mode: "SIMPLE", credentialNames: ["a", "b", "c"] }),
    "spec.servers[0].tls.credentialNames: Too many: 3: must have at most 2 items",
  ],
];

const valid: [string, unknown][] = [
  ["a wildcard host", server({})],
  [
    "namespace/host forms",
    server({ hosts: ["*/a.example.com", "./b.example.com", "prod/*.example.com"] }),
  ],
  ["an IP host", server({ hosts: ["10.0.0.1"] })],
  ["an HTTPS redirect on HTTP", server({ tls: { httpsRedirect: true } })],
  ["SIMPLE with a credentialName", tlsServer({ mode: "SIMPLE", credentialName: "a-cert" })],
  [
    "TLS passthrough",
    {
      servers: [
        {
          port: { number: 443, name: "tls", protocol: "TLS" },
          hosts: ["*.example.com"],
          tls: { mode: "PASSTHROUGH" },
        },
      ],
    },
  ],
  [
    "AUTO_PASSTHROUGH",
    {
      servers: [
        {
          port: { number: 15443, name: "tls", protocol: "TLS" },
          hosts: ["*.local"],
          tls: { mode: "AUTO_PASSTHROUGH" },
        },
      ],
    },
  ],
  [
    "a unix socket server on port 0",
    server({ port: { ...http, number: 0 }, bind: "unix:///var/run/gw.sock" }),
  ],
  [
    "two certificates",
    tlsServer({
      mode: "SIMPLE",
      tlsCertificates: [
        { serverCertificate: "/rsa.pem", privateKey: "/rsa.key" },
        { serverCertificate: "/ec.pem", privateKey: "/ec.key" },
      ],
    }),
  ],
];

describe("Gateway validation", () => {
  it("has at least 20 invalid cases", () => expect(invalid.length).toBeGreaterThanOrEqual(20));
  it.each(invalid)("refuses %s", (_label, spec, expected) =>
    expect(errors(K, spec)).toEqual(full(K, expected)),
  );
  it.each(valid)("accepts %s", (_label, spec) => expect(errors(K, spec)).toEqual([]));
  it("refuses a name that is not a DNS label", () => {
    expect(errors(K, server({}), { name: "my.gateway" })).toEqual(
      full(K, 'metadata.name: invalid gateway name: "my.gateway"', "my.gateway"),
    );
  });
  it.each<Row>([
    [
      "httpsRedirect on a TLS port",
      {
        servers: [
          {
            port: { number: 443, name: "tls", protocol: "TLS" },
            hosts: ["*"],
            tls: { mode: "PASSTHROUGH", httpsRedirect: true },
          },
        ],
      },
      "spec.servers[0].tls.httpsRedirect: tls.httpsRedirect should only be used with http servers",
    ],
    [
      "certificates on passthrough",
      tlsServer({ mode: "PASSTHROUGH", credentialName: "c" }),
      "spec.servers[0].tls: PASSTHROUGH mode does not use certificates, they will be ignored",
    ],
    [
      "an unknown cipher suite",
      tlsServer({
        mode: "SIMPLE",
        credentialName: "c",
        cipherSuites: ["ECDHE-RSA-AES128-GCM-SHA256", "BOGUS"],
      }),
      "spec.servers[0].tls.cipherSuites: ignoring invalid cipher suites: [BOGUS]",
    ],
  ])("warns about %s", (_label, spec, expected) => {
    expect(errors(K, spec)).toEqual([]);
    expect(warnings(K, spec)).toEqual(full(K, expected));
  });
});

/**
 * Rules of Istio's CRD (CEL) that test a field's presence with `has()`: the API server counts a
 * present empty list, map or string, where Istio's webhook code counts only non-empty ones.
 */
describe("Gateway validation: parity with Istio's CRD", () => {
  it('refuses `credentialName: ""` beside credentialNames (CEL "only one of credentialName or credentialNames can be set")', () =>
    expect(
      errors(K, {
        servers: [
          {
            port: { number: 443, protocol: "HTTPS", name: "https" },
            hosts: ["*"],
            tls: { mode: "SIMPLE", credentialName: "", credentialNames: ["a", "b"] },
          },
        ],
      }),
    ).toEqual(
      full(K, "spec.servers[0].tls: only one of credentialName or credentialNames can be set"),
    ));
});
