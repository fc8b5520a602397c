import { generateKeyPairSync } from "node:crypto";
import {
  authorityFiles,
  loadAuthority,
  reloadAuthority,
  type Authority,
  type AuthorityFiles,
} from "../../ca/authority";
import { nodeSigner } from "../../ca/server/node-crypto";
import { fromSecretData, toSecretData } from "../../ca/secret-data";
import { scratchDir } from "./fixtures";
import { OpensslCa } from "./openssl-ca";

/** Every malformed `cacerts` is refused with the file it came from and what is wrong with it. */

const tmp = scratchDir();
afterAll(() => tmp.cleanup());
const gen = new OpensslCa(tmp.dir);
const rootPem = gen.root("root", "/O=Istio/CN=Root CA");
const intPem = gen.issue("int", "/O=Istio/CN=Intermediate CA", "root");
const notCaPem = gen.issue("leafy", "/O=Istio/CN=Not a CA", "root", "notca");
const int2Pem = gen.issue("int2", "/O=Istio/CN=Second-level CA", "int");
const badMidPem = gen.issue("badmid", "/O=Istio/CN=Middle without CA", "root", "notca");
const belowBadMidPem = gen.issue("below", "/O=Istio/CN=Below a non-CA", "badmid");
const otherRootPem = gen.root("other", "/O=Istio/CN=Another Root");
const multiRdnPem = gen.issue("multi", "/O=Istio/CN=Multi+OU=Valued", "root");
const NOW = new Date(Date.now() + 5_000);

const good: Required<AuthorityFiles> = {
  "ca-cert.pem": intPem,
  "ca-key.pem": gen.read("int-key.pem"),
  "root-cert.pem": rootPem,
  "cert-chain.pem": intPem + rootPem,
};

const ecKeyPem = generateKeyPairSync("ec", {
  namedCurve: "P-256",
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;
const smallKey = gen.rsaKey("small", 1024);
// A line of base64 cut from the middle: still PEM, no longer DER.
const truncated = intPem
  .split("\n")
  .filter((_, i) => i !== 5)
  .join("\n");

type Case = [string, Partial<AuthorityFiles> & { now?: Date }, RegExp[]];
const cases: Case[] = [
  [
    "malformed PEM in ca-cert.pem",
    { "ca-cert.pem": "not a certificate" },
    [/^ca-cert\.pem: not PEM/],
  ],
  [
    "truncated DER in ca-cert.pem",
    { "ca-cert.pem": truncated },
    [/^ca-cert\.pem: block 1: the certificate could not be parsed/],
  ],
  [
    "malformed PEM in ca-key.pem",
    { "ca-key.pem": "-----BEGIN PRIVATE KEY-----\n@@@" },
    [/^ca-key\.pem: not PEM/],
  ],
  ["malformed PEM in root-cert.pem", { "root-cert.pem": "garbage" }, [/^root-cert\.pem: not PEM/]],
  [
    "malformed PEM in cert-chain.pem",
    { "cert-chain.pem": "garbage" },
    [/^cert-chain\.pem: not PEM/],
  ],
  [
    "a key in place of a certificate",
    { "ca-cert.pem": gen.read("int-key.pem") },
    [/^ca-cert\.pem: block 1: is "PRIVATE KEY", expected "CERTIFICATE"$/],
  ],
  ["missing ca-cert.pem", { "ca-cert.pem": undefined }, [/^ca-cert\.pem: missing or empty$/]],
  ["missing ca-key.pem", { "ca-key.pem": "" }, [/^ca-key\.pem: missing or empty$/]],
  [
    "two certificates in ca-cert.pem",
    { "ca-cert.pem": intPem + rootPem },
    [/^ca-cert\.pem: holds 2 certificates, expected exactly 1$/],
  ],
  [
    "a key that does not match its certificate",
    { "ca-key.pem": gen.read("root-key.pem") },
    [/^ca-key\.pem: does not match the public key of ca-cert\.pem$/],
  ],
  [
    "an ECDSA key",
    { "ca-key.pem": ecKeyPem },
    [/^ca-key\.pem: the RSA private key is not RSA; .*supports RSA only/],
  ],
  [
    "an RSA key under 2048 bits",
    { "ca-key.pem": smallKey },
    [/^ca-key\.pem: RSA key of 1024 bits, at least 2048 required$/, /does not match/],
  ],
  [
    "a chain that does not lead to the root",
    { "root-cert.pem": otherRootPem },
    [/^cert-chain\.pem: leads to the root "O=Istio, CN=Root CA", which is not in root-cert\.pem$/],
  ],
  [
    "a chain that stops short of the root",
    { "root-cert.pem": otherRootPem, "cert-chain.pem": intPem },
    [
      /^cert-chain\.pem: no path from ca-cert\.pem to root-cert\.pem: nothing in cert-chain\.pem or root-cert\.pem issued "O=Istio, CN=Intermediate CA" \(its issuer is "O=Istio, CN=Root CA"/,
    ],
  ],
  [
    "an intermediate missing from the chain",
    { "ca-cert.pem": int2Pem, "ca-key.pem": gen.read("int2-key.pem"), "cert-chain.pem": rootPem },
    [/^cert-chain\.pem: no path .* issued "O=Istio, CN=Second-level CA"/],
  ],
  [
    "a CA certificate without CA basic constraints",
    { "ca-cert.pem": notCaPem, "ca-key.pem": gen.read("leafy-key.pem") },
    [
      /^ca-cert\.pem: certificate "O=Istio, CN=Not a CA" is not a CA certificate: basicConstraints cA is not true/,
      /keyUsage lacks keyCertSign/,
    ],
  ],
  [
    "an intermediate without CA basic constraints",
    {
      "ca-cert.pem": belowBadMidPem,
      "ca-key.pem": gen.read("below-key.pem"),
      "cert-chain.pem": badMidPem,
    },
    [
      /^cert-chain\.pem: certificate "O=Istio, CN=Middle without CA" is not a CA certificate/,
      /keyUsage lacks keyCertSign/,
    ],
  ],
  [
    "a subject node-forge cannot re-encode exactly (multi-valued RDN)",
    { "ca-cert.pem": multiRdnPem, "ca-key.pem": gen.read("multi-key.pem"), "cert-chain.pem": "" },
    [/^ca-cert\.pem: its subject name cannot be re-encoded byte for byte by node-forge/],
  ],
  [
    "an expired signing certificate",
    { now: new Date(Date.now() + 731 * 24 * 3600 * 1000) },
    [/^ca-cert\.pem: certificate "O=Istio, CN=Intermediate CA" expired at 20\d\d-/],
  ],
];

describe("loading a bad cacerts Secret", () => {
  it.each(cases)("refuses %s, naming the file and the problem", (_name, change, expected) => {
    const { now, ...files } = change;
    const r = loadAuthority(
      { ...good, ...files },
      { now: () => now ?? NOW, signerFor: nodeSigner },
    );
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(errors[i]).toMatch(pattern));
    for (const e of errors) expect(e).not.toMatch(/-----BEGIN [A-Z ]+-----|MII[A-Za-z0-9+/]{20}/);
  });

  it("accepts the good files the cases were made from", () => {
    expect(loadAuthority(good, { now: () => NOW, signerFor: nodeSigner }).ok).toBe(true);
  });
});

describe("reloading", () => {
  const previous = loadAuthority(good, { now: () => NOW }) as { ok: true; value: Authority };

  it("keeps the previous authority, and says why, when the new files are refused", () => {
    const r = reloadAuthority(
      previous.value,
      { ...good, "ca-key.pem": "junk" },
      { now: () => NOW },
    );
    expect(r.authority).toBe(previous.value);
    expect(r.errors).toEqual(["ca-key.pem: not PEM (no well-formed -----BEGIN/END----- block)"]);
  });

  it("switches to the new authority when the files are good", () => {
    const selfRoot = {
      "ca-cert.pem": rootPem,
      "ca-key.pem": gen.read("root-key.pem"),
      "root-cert.pem": rootPem,
    };
    const r = reloadAuthority(previous.value, selfRoot, { now: () => NOW });
    expect(r.errors).toEqual([]);
    expect(r.authority?.signing.pem).toBe(rootPem);
  });
});

describe("Secret data", () => {
  it("round-trips the four files through base64", () => {
    const data = toSecretData(good);
    expect(Object.keys(data).sort()).toEqual([
      "ca-cert.pem",
      "ca-key.pem",
      "cert-chain.pem",
      "root-cert.pem",
    ]);
    expect(data["ca-cert.pem"]).toBe(Buffer.from(intPem).toString("base64"));
    expect(fromSecretData({ ...data, "istio-generated": "" })).toEqual({ ok: true, value: good });
  });

  it("carries a loaded authority through Secret data and back unchanged", () => {
    const loaded = loadAuthority(good, { now: () => NOW });
    if (!loaded.ok) throw new Error(loaded.errors.join());
    const back = fromSecretData(toSecretData(authorityFiles(loaded.value)));
    const reloaded = back.ok ? loadAuthority(back.value, { now: () => NOW }) : back;
    expect(reloaded.ok).toBe(true);
    if (!reloaded.ok) return;
    expect(reloaded.value.signing.pem).toBe(loaded.value.signing.pem);
    expect(reloaded.value.chainPem).toEqual(loaded.value.chainPem);
    expect(reloaded.value.rootPem).toBe(loaded.value.rootPem);
    expect(reloaded.value.key.reveal()).toBe(good["ca-key.pem"]);
  });

  it("refuses a value that is not base64, by key", () => {
    expect(fromSecretData({ "ca-key.pem": "%%%not base64%%%" })).toEqual({
      ok: false,
      errors: ["ca-key.pem: Secret data is not base64"],
    });
  });
});
