import forge from "node-forge";
import { loadAuthority, type Authority, type AuthorityFiles } from "../../ca/authority";
import { issueWorkloadCertificate } from "../../ca/issue";
import { nodeSigner } from "../../ca/server/node-crypto";
import { DEFAULT_TTL_POLICY } from "../../ca/ttl";
import { makeCsr, openssl, rsaKeyPair, scratchDir, seededRandom, writeFiles } from "./fixtures";
import { OpensslCa } from "./openssl-ca";

const tmp = scratchDir();
afterAll(() => tmp.cleanup());

const gen = new OpensslCa(tmp.dir);
const rootPem = gen.root("root", "/O=Istio/CN=Root CA");
const intPem = gen.issue("int", "/O=Istio/CN=Intermediate CA/L=cluster1", "root");
const int2Pem = gen.issue("int2", "/O=Istio/CN=Second-level CA", "int");
// openssl stamps validity from the real clock (to the second); the CA under test is handed an
// instant safely after that.
const NOW = new Date(Date.now() + 5_000);

const workload = rsaKeyPair();
const csrPem = makeCsr(workload.privateKeyPem, [{ uri: "spiffe://cluster.local/ns/a/sa/x" }]);
const identity = { trustDomain: "cluster.local", namespace: "a", serviceAccount: "x" };

function load(files: AuthorityFiles): Authority {
  const r = loadAuthority(files, { now: () => NOW, signerFor: nodeSigner });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

function issueChain(authority: Authority): readonly string[] {
  const r = issueWorkloadCertificate(
    authority,
    { csrPem, identity, requestedTtlSeconds: 3600 },
    DEFAULT_TTL_POLICY,
    { now: () => NOW, randomBytes: seededRandom("plugin") },
  );
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value.certChain;
}

/** `openssl verify -CAfile root-cert.pem -untrusted chain leaf` on the served chain. */
function opensslVerifyServed(chain: readonly string[], rootCertPem: string) {
  const dir = scratchDir();
  try {
    writeFiles(dir.dir, {
      "root-cert.pem": rootCertPem,
      "chain.pem": chain.slice(1).join(""),
      "leaf.pem": chain[0]!,
    });
    const at = String(Math.floor(NOW.getTime() / 1000));
    return openssl(
      ["verify", "-x509_strict", "-attime", at, "-CAfile", "root-cert.pem"].concat([
        "-untrusted",
        "chain.pem",
        "leaf.pem",
      ]),
      dir.dir,
    );
  } finally {
    dir.cleanup();
  }
}

describe("plug-in CA from cacerts with an intermediate", () => {
  const files = {
    "ca-cert.pem": intPem,
    "ca-key.pem": gen.read("int-key.pem"),
    "root-cert.pem": rootPem,
    // Istio's tools/certs convention: the signing certificate, then the root.
    "cert-chain.pem": intPem + rootPem,
  };
  const authority = load(files);
  const chain = issueChain(authority);

  it("serves leaf, intermediate, root — each once", () => {
    const subjects = chain.map(p => forge.pki.certificateFromPem(p).subject.getField("CN")?.value);
    expect(subjects).toEqual([undefined, "Intermediate CA", "Root CA"]);
  });

  it("verifies with openssl verify -CAfile root-cert.pem -untrusted chain", () => {
    const r = opensslVerifyServed(chain, rootPem);
    expect(r.output).toContain("leaf.pem: OK");
    expect(r.status).toBe(0);
  });

  it("does not verify against a root the chain does not lead to", () => {
    const other = gen.root("other", "/O=Istio/CN=Root CA");
    expect(opensslVerifyServed(chain, other).status).not.toBe(0);
  });

  it("names its issuer with the intermediate's subject bytes exactly", () => {
    const leaf = forge.pki.certificateFromPem(chain[0]!);
    const ca = forge.pki.certificateFromPem(intPem);
    expect((leaf.issuer as { hash?: string }).hash).toBe((ca.subject as { hash?: string }).hash);
    const aki = leaf.getExtension("authorityKeyIdentifier") as { value: string };
    const ski = ca.getExtension("subjectKeyIdentifier") as { subjectKeyIdentifier: string };
    expect(forge.util.bytesToHex(aki.value)).toContain(ski.subjectKeyIdentifier);
  });

  it("accepts cert-chain.pem without the root, or empty (the path starts at ca-cert.pem)", () => {
    expect(load({ ...files, "cert-chain.pem": intPem }).chainPem).toEqual(authority.chainPem);
    expect(load({ ...files, "cert-chain.pem": "" }).chainPem).toEqual(authority.chainPem);
  });
});

describe("plug-in CA two levels below the root", () => {
  const authority = load({
    "ca-cert.pem": int2Pem,
    "ca-key.pem": gen.read("int2-key.pem"),
    "root-cert.pem": rootPem,
    "cert-chain.pem": int2Pem + intPem + rootPem,
  });
  const chain = issueChain(authority);

  it("serves both intermediates, nearest first, and openssl verifies it", () => {
    expect(chain.slice(1, 3)).toEqual(authority.chainPem);
    expect(
      authority.chainPem.map(p => forge.pki.certificateFromPem(p).subject.getField("CN").value),
    ).toEqual(["Second-level CA", "Intermediate CA"]);
    expect(opensslVerifyServed(chain, rootPem).status).toBe(0);
  });

  it("fails openssl verify when the middle intermediate is withheld", () => {
    const withheld = [chain[0]!, chain[1]!, chain[3]!];
    expect(opensslVerifyServed(withheld, rootPem).status).not.toBe(0);
  });
});

describe("a self-signed root given as cacerts", () => {
  it("loads with an empty chain, the signing certificate being the root", () => {
    const authority = load({
      "ca-cert.pem": rootPem,
      "ca-key.pem": gen.read("root-key.pem"),
      "root-cert.pem": rootPem,
      "cert-chain.pem": "",
    });
    expect(authority.chainPem).toEqual([]);
    const chain = issueChain(authority);
    expect(chain).toHaveLength(2);
    expect(opensslVerifyServed(chain, rootPem).status).toBe(0);
  });
});
