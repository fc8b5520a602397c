/**
 * A gateway's DestinationRule `credentialName` as Istio serves it over SDS: the client
 * certificate as `kubernetes://<name>`, the CA as `kubernetes://<name>-cacert` (Secret
 * `<name>-cacert`, else `<name>`'s `ca.crt`), both from the gateway's own namespace.
 */
import { TypeUrl } from "../../../../xds/encode/type-urls";
import {
  kubernetesSecretName,
  mergeSecrets,
  originationCredentials,
} from "../../../../xds/compile/clusters/upstream-credentials";
import type { SecretResource } from "../../../../xds/compile/shared/envoy";
import type { StoreObject } from "../../../../mesh/store";
import { scopeOf } from "../fixtures";
import { ROUTER } from "../mesh-authz";
import { secret, selfSigned } from "../tls-fixtures";

describe("kubernetesSecretName", () => {
  it.each([
    ["a bare name", "upstream", "upstream"],
    ["the kubernetes:// prefix", "kubernetes://upstream", "upstream"],
    ["another scheme", "configmap://upstream", undefined],
    ["a prefix without a name", "kubernetes://", undefined],
    ["nothing", "", undefined],
  ])("%s: %j → %j", (_, given, want) => {
    expect(kubernetesSecretName(given)).toBe(want);
  });
});

describe("originationCredentials", () => {
  const client = selfSigned("client.example.com");
  const ca = selfSigned("ca.example.com");
  const otherCa = selfSigned("other-ca.example.com");
  /** A TLS Secret in the gateway's namespace (istio-system) by default. */
  const tlsSecret = (name: string, data: Record<string, string>, ns = "istio-system") =>
    secret(name, ns, data, "kubernetes.io/tls");
  const PAIR = { "tls.crt": client.cert, "tls.key": client.key };
  const CERT_RESOURCE = {
    "@type": TypeUrl.secret,
    name: "kubernetes://upstream",
    tls_certificate: {
      certificate_chain: { inline_string: client.cert },
      private_key: { inline_string: client.key },
    },
  };
  const caResource = (pem: string) => ({
    "@type": TypeUrl.secret,
    name: "kubernetes://upstream-cacert",
    validation_context: { trusted_ca: { inline_string: pem } },
  });
  const creds = (objects: StoreObject[], mutual: boolean, verify: boolean) =>
    originationCredentials(scopeOf(objects, ROUTER), "upstream", mutual, verify);

  it("MUTUAL, verified: the client certificate and the Secret's ca.crt", () => {
    expect(creds([tlsSecret("upstream", { ...PAIR, "ca.crt": ca.cert })], true, true)).toEqual([
      { resource: CERT_RESOURCE },
      { resource: caResource(ca.cert) },
    ]);
  });

  it("a Secret <name>-cacert holds the CA before <name>'s own ca.crt", () => {
    const objects = [
      tlsSecret("upstream", { ...PAIR, "ca.crt": ca.cert }),
      tlsSecret("upstream-cacert", { "ca.crt": otherCa.cert }),
    ];
    expect(creds(objects, false, true)).toEqual([{ resource: caResource(otherCa.cert) }]);
  });

  it("SIMPLE needs no client certificate; insecureSkipVerify no CA", () => {
    const objects = [tlsSecret("upstream-cacert", { "ca.crt": ca.cert })];
    expect(creds(objects, false, true)).toEqual([{ resource: caResource(ca.cert) }]);
    expect(creds([], false, false)).toEqual([]);
    expect(creds([tlsSecret("upstream", PAIR)], true, false)).toEqual([
      { resource: CERT_RESOURCE },
    ]);
  });

  it.each<[string, StoreObject[], boolean, string]>([
    [
      "a Secret in another namespace than the gateway's",
      [tlsSecret("upstream", { ...PAIR, "ca.crt": ca.cert }, "default")],
      true,
      "no Secret istio-system/upstream with tls.crt and tls.key",
    ],
    [
      "no CA in either Secret",
      [tlsSecret("upstream", PAIR)],
      false,
      "no Secret istio-system/upstream-cacert or istio-system/upstream with ca.crt",
    ],
    [
      "a key that does not match the certificate",
      [tlsSecret("upstream", { "tls.crt": client.cert, "tls.key": ca.key, "ca.crt": ca.cert })],
      true,
      "Secret istio-system/upstream: tls.key does not match the first certificate of tls.crt",
    ],
  ])("a problem, not a resource: %s", (_, objects, mutual, problem) => {
    expect(creds(objects, mutual, true)[0]).toEqual({ problem });
  });
});

describe("mergeSecrets", () => {
  const caSecret = (name: string, pem: string): SecretResource => ({
    "@type": TypeUrl.secret,
    name,
    validation_context: { trusted_ca: { inline_string: pem } },
  });
  const certSecret = (name: string): SecretResource => ({
    "@type": TypeUrl.secret,
    name,
    tls_certificate: {
      certificate_chain: { inline_string: "chain" },
      private_key: { inline_string: "key" },
    },
  });

  it("adds new names, keeps one of each, sorted by name", () => {
    const a = caSecret("kubernetes://b-cacert", "B");
    const b = certSecret("kubernetes://a");
    expect(mergeSecrets([a], [b, a])).toEqual({ secrets: [b, a], conflicts: [] });
  });

  it("a name served as another kind of certificate keeps the first and reports the conflict", () => {
    const server = certSecret("kubernetes://shared-cacert");
    const origination = caSecret("kubernetes://shared-cacert", "CA");
    expect(mergeSecrets([server], [origination])).toEqual({
      secrets: [server],
      conflicts: [
        "SDS secret kubernetes://shared-cacert: a Gateway server serves it as another kind of " +
          "certificate; DestinationRule credentialName clusters loading it cannot handshake",
      ],
    });
  });
});
