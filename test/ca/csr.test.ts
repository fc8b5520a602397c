import forge from "node-forge";
import { checkCertificateRequest } from "../../ca/csr";
import { DEFAULT_TTL_POLICY } from "../../ca/ttl";
import { makeCsr, opensslOk, rsaKeyPair, scratchDir } from "./fixtures";

const identity = { trustDomain: "cluster.local", namespace: "a", serviceAccount: "x" };
const self = "spiffe://cluster.local/ns/a/sa/x";
const key = rsaKeyPair();
const check = (csrPem: string, ttl = 0) =>
  checkCertificateRequest(csrPem, ttl, identity, DEFAULT_TTL_POLICY);

const tmp = scratchDir();
afterAll(() => tmp.cleanup());
const opensslCsr = (keyArgs: string[], san?: string) => {
  opensslOk(
    [
      "req",
      "-new",
      ...keyArgs,
      "-nodes",
      "-keyout",
      "k.pem",
      "-subj",
      "/O=x",
      "-out",
      "r.csr",
    ].concat(san ? ["-addext", `subjectAltName=${san}`] : []),
    tmp.dir,
  );
  return opensslOk(["req", "-in", "r.csr"], tmp.dir);
};

/** A CSR with the last byte of its signature flipped. */
function tamperedCsr(): string {
  const der = Buffer.from(
    makeCsr(key.privateKeyPem, [{ uri: self }]).replace(/-----[A-Z ]+-----|\s/g, ""),
    "base64",
  );
  der[der.length - 1]! ^= 0x01;
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

describe("accepted CSRs", () => {
  it.each([
    ["asking for the caller's own SPIFFE ID", () => makeCsr(key.privateKeyPem, [{ uri: self }])],
    ["asking for no SAN at all", () => makeCsr(key.privateKeyPem)],
    [
      "made by openssl with the caller's SPIFFE ID",
      () => opensslCsr(["-newkey", "rsa:2048"], `URI:${self}`),
    ],
  ])("%s", (_name, make) => {
    const r = check(make(), 3600);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.ttlSeconds).toBe(3600);
  });

  it("certifies the CSR's own public key", () => {
    const r = check(makeCsr(key.privateKeyPem));
    const pub = forge.pki.publicKeyFromPem(key.publicKeyPem);
    expect(r.ok && r.value.publicKey.n.toString(16)).toBe(pub.n.toString(16));
  });
});

describe("refused CSRs", () => {
  const cases: Array<[string, () => string, number, string[]]> = [
    [
      "malformed PEM",
      () => "hello",
      0,
      ["csr: not PEM (no well-formed -----BEGIN/END----- block)"],
    ],
    ["an empty request", () => "  ", 0, ["csr: is empty"]],
    [
      "a certificate instead of a CSR",
      () => "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      0,
      ['csr: expected one CERTIFICATE REQUEST PEM block, found "CERTIFICATE"'],
    ],
    [
      "corrupt DER",
      () => "-----BEGIN CERTIFICATE REQUEST-----\nMIIBAAAA\n-----END CERTIFICATE REQUEST-----\n",
      0,
      ["csr: the certificate request could not be parsed"],
    ],
    [
      "a signature that does not verify",
      tamperedCsr,
      0,
      ["csr: its signature does not verify with its own public key"],
    ],
    [
      "an ECDSA key",
      () => opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
      0,
      [
        "csr: the certificate request is not RSA; Rigging's CA signs with node-forge, which supports RSA only (no ECDSA)",
      ],
    ],
    [
      "a 1024-bit RSA key",
      () => makeCsr(rsaKeyPair(1024).privateKeyPem),
      0,
      ["csr: RSA key of 1024 bits, at least 2048 required"],
    ],
    [
      "an extra DNS SAN",
      () => makeCsr(key.privateKeyPem, [{ uri: self }, { dns: "evil.example.com" }]),
      0,
      [
        `csr: asks for SAN DNS:evil.example.com; only URI:${self} (the identity of the caller's token) may be requested`,
      ],
    ],
    [
      "another workload's identity",
      () => makeCsr(key.privateKeyPem, [{ uri: "spiffe://cluster.local/ns/b/sa/y" }]),
      0,
      [
        `csr: asks for SAN URI:spiffe://cluster.local/ns/b/sa/y; only URI:${self} (the identity of the caller's token) may be requested`,
      ],
    ],
    [
      "an IP SAN",
      () => makeCsr(key.privateKeyPem, [{ ip: "10.0.0.1" }]),
      0,
      [
        `csr: asks for SAN IP:10.0.0.1; only URI:${self} (the identity of the caller's token) may be requested`,
      ],
    ],
    [
      "a TTL over the maximum, and a foreign SAN",
      () => makeCsr(key.privateKeyPem, [{ dns: "x" }]),
      90 * 86400 + 1,
      [
        "validity_duration: 7776001s exceeds the maximum of 7776000s",
        `csr: asks for SAN DNS:x; only URI:${self} (the identity of the caller's token) may be requested`,
      ],
    ],
    [
      "a fractional TTL",
      () => makeCsr(key.privateKeyPem),
      1.5,
      ["validity_duration: 1.5 is not a whole number of seconds"],
    ],
  ];

  it.each(cases)("%s", (_name, make, ttl, expected) => {
    const r = check(make(), ttl);
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.map(e => e.replace(/ \(.*\)$/, ""))).toEqual(
      expected.map(e => e.replace(/ \(.*\)$/, "")),
    );
    for (const e of errors) expect(e).not.toMatch(/-----BEGIN [A-Z ]+-----|MII[A-Za-z0-9+/]{8}/);
  });
});
