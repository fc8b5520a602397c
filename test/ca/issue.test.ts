import { inspect } from "node:util";
import forge from "node-forge";
import type { Authority } from "../../ca/authority";
import {
  CLOCK_SKEW_SECONDS,
  issueServingCertificate,
  issueWorkloadCertificate,
} from "../../ca/issue";
import { createSelfSignedRoot } from "../../ca/self-signed-root";
import { nodeKeyGenerator, nodeSigner } from "../../ca/server/node-crypto";
import { DEFAULT_TTL_POLICY } from "../../ca/ttl";
import { T0, clockAt, makeCsr, opensslVerify, rsaKeyPair, seededRandom } from "./fixtures";

const identity = { trustDomain: "cluster.local", namespace: "a", serviceAccount: "x" };
const workload = rsaKeyPair();
const csrPem = makeCsr(workload.privateKeyPem, [{ uri: "spiffe://cluster.local/ns/a/sa/x" }]);

function root(ttlSeconds?: number, seed = "root"): Authority {
  const made = createSelfSignedRoot({
    key: nodeKeyGenerator(),
    now: clockAt(T0),
    randomBytes: seededRandom(seed),
    signerFor: nodeSigner,
    ...(ttlSeconds ? { ttlSeconds } : {}),
  });
  if (!made.ok) throw new Error(made.errors.join("\n"));
  return made.value.authority;
}

function issue(authority: Authority, requestedTtlSeconds: number, seed = "leaf") {
  return issueWorkloadCertificate(
    authority,
    { csrPem, identity, requestedTtlSeconds },
    DEFAULT_TTL_POLICY,
    { now: clockAt(T0), randomBytes: seededRandom(seed) },
  );
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; errors: string[] }): T {
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

describe("workload certificate for ns/a, sa/x", () => {
  const authority = root();
  const issued = unwrap(issue(authority, 3600));
  const leaf = forge.pki.certificateFromPem(issued.certPem);

  it("has exactly one SAN, the SPIFFE URI, marked critical, and an empty subject", () => {
    const san = leaf.getExtension("subjectAltName") as {
      critical: boolean;
      altNames: Array<{ type: number; value: string }>;
    };
    expect(san.altNames).toEqual([{ type: 6, value: "spiffe://cluster.local/ns/a/sa/x" }]);
    expect(san.critical).toBe(true);
    expect(leaf.subject.attributes).toEqual([]);
    expect(leaf.extensions.filter(e => e.name === "subjectAltName")).toHaveLength(1);
  });

  it("allows digitalSignature + keyEncipherment, serverAuth + clientAuth, and is not a CA", () => {
    const ku = leaf.getExtension("keyUsage") as Record<string, boolean>;
    const used = Object.entries(ku).filter(([k, v]) => v === true && k !== "critical");
    expect(used.map(([k]) => k).sort()).toEqual(["digitalSignature", "keyEncipherment"]);
    expect(ku.critical).toBe(true);
    const eku = leaf.getExtension("extKeyUsage") as Record<string, boolean>;
    expect([eku.serverAuth, eku.clientAuth]).toEqual([true, true]);
    const bc = leaf.getExtension("basicConstraints") as { cA: boolean };
    expect(bc.cA).toBe(false);
  });

  it("has a 128-bit serial drawn from the injected randomness", () => {
    const expected = Buffer.from(seededRandom("leaf")(16)).toString("hex");
    expect(issued.serialHex).toBe(expected);
    expect(BigInt(`0x${issued.serialHex}`) < 1n << 128n).toBe(true);
    expect(BigInt(`0x${issued.serialHex}`) >= 1n << 64n).toBe(true);
    const other = unwrap(issue(authority, 3600, "another seed"));
    expect(other.serialHex).not.toBe(issued.serialHex);
  });

  it("lives for the TTL asked, from two minutes before now", () => {
    expect(leaf.validity.notBefore.getTime()).toBe(T0.getTime() - CLOCK_SKEW_SECONDS * 1000);
    expect(leaf.validity.notAfter.getTime()).toBe(T0.getTime() + 3600 * 1000);
  });

  it("is the first of [leaf, root] and verifies against the root with node-forge", () => {
    expect(issued.certChain).toEqual([issued.certPem, authority.rootPem]);
    const rootCert = forge.pki.certificateFromPem(authority.rootPem);
    expect(rootCert.verify(leaf)).toBe(true);
    const certified = leaf.publicKey as forge.pki.rsa.PublicKey;
    const asked = forge.pki.publicKeyFromPem(workload.publicKeyPem);
    expect(certified.n.toString(16)).toBe(asked.n.toString(16));
  });

  it.each(["sslclient", "sslserver"] as const)(
    "passes openssl verify -x509_strict -purpose %s",
    purpose => {
      const r = opensslVerify({ root: authority.rootPem, leaf: issued.certPem }, T0, purpose);
      expect(r.output).toContain("leaf.pem: OK");
      expect(r.status).toBe(0);
    },
  );

  it("fails openssl verify against another root and after it expires", () => {
    const stranger = root(undefined, "other root");
    const wrongRoot = opensslVerify(
      { root: stranger.rootPem, leaf: issued.certPem },
      T0,
      "sslclient",
    );
    expect(wrongRoot.status).not.toBe(0);
    const late = new Date(T0.getTime() + 3601 * 1000);
    const expired = opensslVerify(
      { root: authority.rootPem, leaf: issued.certPem },
      late,
      "sslclient",
    );
    expect(expired.output).toMatch(/certificate has expired/);
  });
});

describe("workload certificate lifetime", () => {
  const authority = root();

  it("defaults to 24 h when validity_duration is 0", () => {
    const issued = unwrap(issue(authority, 0));
    expect(issued.notAfter.getTime() - T0.getTime()).toBe(24 * 3600 * 1000);
  });

  it("refuses a TTL above the maximum, naming both", () => {
    const r = issue(authority, DEFAULT_TTL_POLICY.maxTtlSeconds + 1);
    expect(r).toEqual({
      ok: false,
      errors: ["validity_duration: 7776001s exceeds the maximum of 7776000s"],
    });
  });

  it("is capped so the leaf never outlives its CA", () => {
    const shortLived = root(7200, "short root");
    const issued = unwrap(issue(shortLived, 24 * 3600));
    expect(issued.notAfter.getTime()).toBe(T0.getTime() + 7200 * 1000);
  });
});

describe("signers", () => {
  it("Node's native signer writes byte-identical certificates to node-forge's", () => {
    const keyPem = nodeKeyGenerator()();
    const make = (signerFor?: typeof nodeSigner) => {
      const r = unwrap(
        createSelfSignedRoot({
          key: keyPem,
          now: clockAt(T0),
          randomBytes: seededRandom("r"),
          ...(signerFor ? { signerFor } : {}),
        }),
      );
      return unwrap(issue(r.authority, 600)).certPem;
    };
    expect(make(nodeSigner)).toBe(make());
  });
});

describe("authority printing", () => {
  it("never shows the private key", () => {
    const authority = root();
    const shown = [inspect(authority, { depth: 5 }), JSON.stringify(authority), `${authority.key}`];
    for (const s of shown) expect(s).not.toMatch(/PRIVATE KEY/);
    expect(authority.key.reveal()).toMatch(/BEGIN PRIVATE KEY/);
  });
});

describe("serving certificate", () => {
  const authority = root();
  const server = rsaKeyPair();
  const issued = unwrap(
    issueServingCertificate(
      authority,
      {
        publicKeyPem: server.publicKeyPem,
        dnsNames: ["istiod.istio-system.svc"],
        ttlSeconds: 3600,
      },
      { now: clockAt(T0), randomBytes: seededRandom("srv") },
    ),
  );

  it("names the DNS names and is for servers only", () => {
    const cert = forge.pki.certificateFromPem(issued.certPem);
    const san = cert.getExtension("subjectAltName") as { altNames: unknown[] };
    expect(san.altNames).toEqual([{ type: 2, value: "istiod.istio-system.svc" }]);
    expect(
      opensslVerify({ root: authority.rootPem, leaf: issued.certPem }, T0, "sslserver").status,
    ).toBe(0);
    expect(
      opensslVerify({ root: authority.rootPem, leaf: issued.certPem }, T0, "sslclient").status,
    ).not.toBe(0);
  });

  it("refuses a bad DNS name and a missing key", () => {
    const r = issueServingCertificate(
      authority,
      { publicKeyPem: "nope", dnsNames: ["Not_A_Name"], ttlSeconds: 60 },
      { now: clockAt(T0), randomBytes: seededRandom("x") },
    );
    expect(r).toEqual({
      ok: false,
      errors: [
        'dnsNames: "Not_A_Name" is not a lowercase RFC 1123 DNS name',
        "publicKeyPem: not an RSA public key in PEM",
      ],
    });
  });
});
