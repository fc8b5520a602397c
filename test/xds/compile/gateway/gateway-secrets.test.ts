/**
 * SDS for gateway proxies: `credentialName` Secrets become Envoy Secret resources named
 * `kubernetes://<name>` and `kubernetes://<name>-cacert`, looked up in the gateway proxy's
 * namespace, asserted as decoded from their protobuf bytes and through the snapshot check
 * (encoder and references). A server whose Secret is missing or malformed is left out with a
 * message, and the gateway's other servers are still served.
 */
import type { IstioObject } from "../../../../mesh/api";
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { allResources, compile, type CompiledResources } from "../../../../xds/compile";
import { createSnapshot } from "../../../../xds/cache/snapshot";
import type { ResourceObject } from "../../../../xds/encode/encode-resource";
import { decoded, named } from "../fixtures";
import { secret, selfSigned } from "../tls-fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const ROUTER = {
  id: "router~10.1.2.3~ingressgateway-xyz.istio-system~istio-system.svc.cluster.local",
  metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
};

const SERVER = selfSigned("bookinfo.example.com");
const CLIENT_CA = selfSigned("client-ca");
const OTHER = selfSigned("other");

function gateway(servers: Json[], ns = "default"): StoreObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "gw", namespace: ns },
    spec: { selector: { istio: "ingressgateway" }, servers },
  } as unknown as IstioObject as StoreObject;
}

const https = (tls: Json) => ({
  port: { number: 443, name: "https", protocol: "HTTPS" },
  hosts: ["bookinfo.example.com"],
  tls,
});
const HTTP = { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] };

const tlsSecret = (name: string, extra: Record<string, string> = {}, ns = "istio-system") =>
  secret(
    name,
    ns,
    { "tls.crt": SERVER.cert, "tls.key": SERVER.key, ...extra },
    "kubernetes.io/tls",
  );

/** Compiles for the router; the snapshot (encoder and reference check) must build. */
function build(objects: StoreObject[]): CompiledResources {
  const result = compile(storeOf(objects), ROUTER);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  const snapshot = createSnapshot(allResources(result.value));
  if (!snapshot.ok) throw new Error(snapshot.errors.join("\n"));
  return result.value;
}

const names = (list: readonly ResourceObject[]) => list.map(r => r.name);
const certOf = (pem: { cert: string; key: string }) => ({
  certificate_chain: { inline_string: pem.cert },
  private_key: { inline_string: pem.key },
});

describe("credentialName Secrets over SDS", () => {
  it.each<[string, StoreObject[], Json, Record<string, Json>]>([
    [
      "SIMPLE, kubernetes.io/tls Secret: a tls_certificate",
      [tlsSecret("cred")],
      { mode: "SIMPLE", credentialName: "cred" },
      { "kubernetes://cred": { tls_certificate: certOf(SERVER) } },
    ],
    [
      "SIMPLE, generic Secret with cert/key (preferred over tls.crt/tls.key, as in Istio)",
      [
        secret("cred", "istio-system", {
          cert: SERVER.cert,
          key: SERVER.key,
          "tls.crt": OTHER.cert,
          "tls.key": OTHER.key,
        }),
      ],
      { mode: "SIMPLE", credentialName: "cred" },
      { "kubernetes://cred": { tls_certificate: certOf(SERVER) } },
    ],
    [
      "MUTUAL, ca.crt in the same Secret: the -cacert validation_context from it",
      [tlsSecret("cred", { "ca.crt": CLIENT_CA.cert })],
      { mode: "MUTUAL", credentialName: "cred" },
      {
        "kubernetes://cred": { tls_certificate: certOf(SERVER) },
        "kubernetes://cred-cacert": {
          validation_context: { trusted_ca: { inline_string: CLIENT_CA.cert } },
        },
      },
    ],
    [
      "MUTUAL, a separate <name>-cacert Secret with `cacert` wins over the Secret's own ca.crt",
      [
        tlsSecret("cred", { "ca.crt": OTHER.cert }),
        secret("cred-cacert", "istio-system", { cacert: CLIENT_CA.cert }),
      ],
      { mode: "MUTUAL", credentialName: "cred" },
      {
        "kubernetes://cred": { tls_certificate: certOf(SERVER) },
        "kubernetes://cred-cacert": {
          validation_context: { trusted_ca: { inline_string: CLIENT_CA.cert } },
        },
      },
    ],
  ])("%s", (_label, secrets, tls, want) => {
    const r = build([...secrets, gateway([https(tls)])]);
    expect(r.warnings).toEqual([]);
    expect(names(r.listeners)).toEqual(["0.0.0.0_443"]);
    const got = Object.fromEntries(
      r.secrets.map(s => {
        const { name, "@type": type, ...rest } = decoded(s) as Json;
        expect(type).toBe("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");
        return [name, rest];
      }),
    );
    expect(got).toEqual(want);
    // The listener loads exactly the Secrets served.
    const ctx = (decoded(named(r.listeners, "0.0.0.0_443")) as Json).filter_chains[0]
      .transport_socket.typed_config.common_tls_context;
    const loaded = [
      ...ctx.tls_certificate_sds_secret_configs.map((c: Json) => c.name),
      ...(ctx.combined_validation_context
        ? [ctx.combined_validation_context.validation_context_sds_secret_config.name]
        : []),
    ];
    expect(loaded.sort()).toEqual(Object.keys(want).sort());
  });

  it("caCertCredentialName names the client CA's Secret (and SDS name) directly", () => {
    const r = build([
      tlsSecret("cred"),
      secret("ca-bundle", "istio-system", { "ca.crt": CLIENT_CA.cert }),
      gateway([
        https({ mode: "MUTUAL", credentialName: "cred", caCertCredentialName: "ca-bundle" }),
      ]),
    ]);
    expect(names(r.secrets)).toEqual(["kubernetes://ca-bundle", "kubernetes://cred"]);
    expect(
      (decoded(named(r.secrets, "kubernetes://ca-bundle")) as Json).validation_context,
    ).toEqual({
      trusted_ca: { inline_string: CLIENT_CA.cert },
    });
  });

  it("a name wanted as both a certificate and a CA is served once; the later server is left out", () => {
    const r = build([
      tlsSecret("cred", { "ca.crt": CLIENT_CA.cert }),
      tlsSecret("cred2"),
      gateway([
        https({ mode: "SIMPLE", credentialName: "cred" }),
        {
          ...https({ mode: "MUTUAL", credentialName: "cred2", caCertCredentialName: "cred" }),
          hosts: ["b.example.com"],
        },
      ]),
    ]);
    expect(names(r.secrets)).toEqual(["kubernetes://cred"]);
    expect(r.warnings).toEqual([
      'Gateway default/gw: spec.servers[1].tls.credentialName "cred2": kubernetes://cred is ' +
        "already served as a certificate; the server is left out",
    ]);
  });

  it("two servers sharing a credential get one Secret resource", () => {
    const r = build([
      tlsSecret("cred"),
      gateway([
        https({ mode: "SIMPLE", credentialName: "cred" }),
        { ...https({ mode: "SIMPLE", credentialName: "cred" }), hosts: ["b.example.com"] },
      ]),
    ]);
    expect(names(r.secrets)).toEqual(["kubernetes://cred"]);
    expect((decoded(r.listeners[0]!) as Json).filter_chains).toHaveLength(2);
  });
});

describe("a server whose Secret is missing or malformed is left out, with the reason", () => {
  const prefix = 'Gateway default/gw: spec.servers[1].tls.credentialName "cred": ';
  const suffix = "; the server is left out";
  it.each<[string, StoreObject[], Json, string]>([
    [
      "no Secret",
      [],
      { mode: "SIMPLE", credentialName: "cred" },
      "no Secret istio-system/cred with TLS data",
    ],
    [
      "the Secret is in the Gateway's namespace, not the gateway proxy's (Istio's lookup rule)",
      [tlsSecret("cred", {}, "default")],
      { mode: "SIMPLE", credentialName: "cred" },
      "no Secret istio-system/cred with TLS data",
    ],
    [
      "tls.crt is not PEM",
      [secret("cred", "istio-system", { "tls.crt": "not a certificate", "tls.key": SERVER.key })],
      { mode: "SIMPLE", credentialName: "cred" },
      "Secret istio-system/cred: tls.crt holds no PEM CERTIFICATE",
    ],
    [
      "tls.key is missing",
      [secret("cred", "istio-system", { "tls.crt": SERVER.cert })],
      { mode: "SIMPLE", credentialName: "cred" },
      "Secret istio-system/cred: key tls.key is missing",
    ],
    [
      "the key does not belong to the certificate",
      [secret("cred", "istio-system", { "tls.crt": SERVER.cert, "tls.key": OTHER.key })],
      { mode: "SIMPLE", credentialName: "cred" },
      "Secret istio-system/cred: tls.key does not match the first certificate of tls.crt",
    ],
    [
      "a certificate block that does not parse",
      [
        secret("cred", "istio-system", {
          "tls.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
          "tls.key": SERVER.key,
        }),
      ],
      { mode: "SIMPLE", credentialName: "cred" },
      "Secret istio-system/cred: tls.crt holds a CERTIFICATE that does not parse",
    ],
    [
      "MUTUAL without any client CA",
      [tlsSecret("cred")],
      { mode: "MUTUAL", credentialName: "cred" },
      "Secret istio-system/cred has no ca.crt or cacert for the client CA",
    ],
    [
      "a Secret with only a CA, used as a server certificate",
      [secret("cred", "istio-system", { "ca.crt": CLIENT_CA.cert })],
      { mode: "SIMPLE", credentialName: "cred" },
      "Secret istio-system/cred has no tls.crt/tls.key or cert/key",
    ],
  ])("%s", (_label, secrets, tls, problem) => {
    // Server 0 is plain HTTP; server 1 is the HTTPS one whose credential is at fault.
    const r = build([...secrets, gateway([HTTP, https(tls)])]);
    expect(r.warnings).toEqual([`${prefix}${problem}${suffix}`]);
    expect(names(r.listeners)).toEqual(["0.0.0.0_80"]);
    expect(r.secrets).toEqual([]);
    // The message names keys and Secrets, never their contents.
    expect(r.warnings.join()).not.toMatch(/BEGIN|PRIVATE/);
  });

  it("SIMPLE + HTTP with the Secret missing: the HTTP listener and its routes are still served", () => {
    const r = build([gateway([https({ mode: "SIMPLE", credentialName: "cred" }), HTTP])]);
    expect(names(r.listeners)).toEqual(["0.0.0.0_80"]);
    expect(names(r.routes)).toEqual(["http.80"]);
    expect(r.warnings).toEqual([
      'Gateway default/gw: spec.servers[0].tls.credentialName "cred": no Secret ' +
        "istio-system/cred with TLS data; the server is left out",
    ]);
    // Once the Secret exists, the HTTPS server comes back with it.
    const fixed = build([
      tlsSecret("cred"),
      gateway([https({ mode: "SIMPLE", credentialName: "cred" }), HTTP]),
    ]);
    expect(names(fixed.listeners)).toEqual(["0.0.0.0_80", "0.0.0.0_443"]);
    expect(fixed.warnings).toEqual([]);
  });

  it("only the faulty server of a port is left out; its neighbour by SNI stays", () => {
    const r = build([
      tlsSecret("good"),
      gateway([
        https({ mode: "SIMPLE", credentialName: "bad" }),
        { ...https({ mode: "SIMPLE", credentialName: "good" }), hosts: ["good.example.com"] },
      ]),
    ]);
    const l = decoded(named(r.listeners, "0.0.0.0_443")) as Json;
    expect(l.filter_chains.map((c: Json) => c.filter_chain_match.server_names)).toEqual([
      ["good.example.com"],
    ]);
    expect(names(r.secrets)).toEqual(["kubernetes://good"]);
    expect(r.warnings).toHaveLength(1);
  });
});
