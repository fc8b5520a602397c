import { issueWorkloadCertificate, type IssuedCertificate } from "../../ca/issue";
import {
  halfLife,
  isExpired,
  pastHalfLife,
  previousRootRetiresAt,
  rootTrustBundle,
  validityOf,
} from "../../ca/rotation";
import { createSelfSignedRoot, type SelfSignedRoot } from "../../ca/self-signed-root";
import { nodeKeyGenerator, nodeSigner } from "../../ca/server/node-crypto";
import { DEFAULT_TTL_POLICY } from "../../ca/ttl";
import { T0, clockAt, makeCsr, opensslVerify, rsaKeyPair, seededRandom } from "./fixtures";

const at = (offsetSeconds: number) => new Date(T0.getTime() + offsetSeconds * 1000);
const identity = { trustDomain: "cluster.local", namespace: "a", serviceAccount: "x" };
const csrPem = makeCsr(rsaKeyPair().privateKeyPem);

function makeRoot(key: string | (() => string), when: Date, ttlSeconds: number, seed: string) {
  const r = createSelfSignedRoot({
    key,
    now: clockAt(when),
    ttlSeconds,
    randomBytes: seededRandom(seed),
    signerFor: nodeSigner,
  });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

function issueAt(root: SelfSignedRoot, when: Date, ttl: number): IssuedCertificate {
  const r = issueWorkloadCertificate(
    root.authority,
    { csrPem, identity, requestedTtlSeconds: ttl },
    DEFAULT_TTL_POLICY,
    { now: clockAt(when), randomBytes: seededRandom(when.toISOString()) },
  );
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

const oldRoot = makeRoot(nodeKeyGenerator(), T0, 365 * 86400, "old");

describe("half-life and expiry under an injected clock", () => {
  // Valid from T0 − 120 s (clock skew) to T0 + 3600 s: 3720 s long, half-life at T0 + 1740 s.
  const leaf = issueAt(oldRoot, T0, 3600);
  const v = validityOf(leaf.certPem);
  if (!v.ok) throw new Error(v.errors.join());

  it("reads the validity of the issued certificate", () => {
    expect(v.value).toEqual({ notBefore: at(-120), notAfter: at(3600) });
    expect(halfLife(v.value)).toEqual(at(1740));
  });

  it.each([
    [0, false, false],
    [1739, false, false],
    [1740, true, false],
    [3599, true, false],
    [3600, true, true],
  ])("at T0 + %is: past half-life %s, expired %s", (offset, half, expired) => {
    expect(pastHalfLife(v.value, at(offset))).toBe(half);
    expect(isExpired(v.value, at(offset))).toBe(expired);
  });

  it("agrees with openssl about expiry", () => {
    expect(
      opensslVerify({ root: oldRoot.authority.rootPem, leaf: leaf.certPem }, at(3599), "sslclient")
        .status,
    ).toBe(0);
    expect(
      opensslVerify({ root: oldRoot.authority.rootPem, leaf: leaf.certPem }, at(3600), "sslclient")
        .status,
    ).not.toBe(0);
  });

  it("refuses to read something that is not one certificate", () => {
    expect(validityOf("nope", "leaf")).toEqual({
      ok: false,
      errors: ["leaf: not PEM (no well-formed -----BEGIN/END----- block)"],
    });
  });
});

describe("root rotation", () => {
  const rotatedAt = at(30 * 86400);
  const newRoot = makeRoot(nodeKeyGenerator(), rotatedAt, 365 * 86400, "new");
  const oldLeaf = issueAt(oldRoot, at(30 * 86400 - 60), 86400);
  const newLeaf = issueAt(newRoot, rotatedAt, 86400);

  it("publishes the new root first, then the old one, each once", () => {
    const bundle = rootTrustBundle(
      {
        current: newRoot.authority.rootPem,
        previous: [oldRoot.authority.rootPem, newRoot.authority.rootPem],
      },
      rotatedAt,
    );
    expect(bundle).toEqual({
      ok: true,
      value: [newRoot.authority.rootPem, oldRoot.authority.rootPem],
    });
  });

  it("lets old and new workload certificates verify against the bundle", () => {
    const bundle = rootTrustBundle(
      { current: newRoot.authority.rootPem, previous: [oldRoot.authority.rootPem] },
      rotatedAt,
    );
    const pem = bundle.ok ? bundle.value.join("") : "";
    for (const leaf of [oldLeaf, newLeaf]) {
      expect(opensslVerify({ root: pem, leaf: leaf.certPem }, rotatedAt, "sslclient").status).toBe(
        0,
      );
    }
    // …whereas the new root alone would break the old workloads.
    expect(
      opensslVerify(
        { root: newRoot.authority.rootPem, leaf: oldLeaf.certPem },
        rotatedAt,
        "sslclient",
      ).status,
    ).not.toBe(0);
  });

  it("drops a previous root once it has expired", () => {
    const bundle = rootTrustBundle(
      { current: newRoot.authority.rootPem, previous: [oldRoot.authority.rootPem] },
      at(366 * 86400),
    );
    expect(bundle).toEqual({ ok: true, value: [newRoot.authority.rootPem] });
  });

  it("retires the previous root when the longest-lived certificate under it has expired", () => {
    expect(previousRootRetiresAt(rotatedAt, DEFAULT_TTL_POLICY)).toEqual(
      at(30 * 86400 + 90 * 86400),
    );
  });

  it("renews a root with the same key so certificates of the old one still verify", () => {
    const renewed = makeRoot(oldRoot.authority.key.reveal(), rotatedAt, 365 * 86400, "renewed");
    expect(renewed.authority.rootPem).not.toBe(oldRoot.authority.rootPem);
    expect(
      opensslVerify(
        { root: renewed.authority.rootPem, leaf: oldLeaf.certPem },
        rotatedAt,
        "sslclient",
      ).status,
    ).toBe(0);
  });

  it("refuses a bundle part that is not PEM, naming it", () => {
    expect(
      rootTrustBundle({ current: newRoot.authority.rootPem, previous: ["x"] }, rotatedAt),
    ).toEqual({
      ok: false,
      errors: ["previous root 1: not PEM (no well-formed -----BEGIN/END----- block)"],
    });
  });
});
