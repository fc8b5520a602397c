import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import type { RandomBytes } from "../../ca/deps";
import { nodeSigner } from "../../ca/server/node-crypto";
import { signCertificate } from "../../ca/sign";

/** Test helpers for `ca/`: keys, CSRs, deterministic randomness and the openssl CLI. */

/** A fixed instant tests set the clock to. */
export const T0 = new Date("2025-06-01T12:00:00.000Z");

/** A clock stuck at `at`. */
export const clockAt = (at: Date) => () => new Date(at.getTime());

/** Deterministic bytes from a seed (SHA-256 in counter mode): repeatable, and distinct per call. */
export function seededRandom(seed: string): RandomBytes & { calls: number } {
  let counter = 0;
  const fn = ((n: number) => {
    fn.calls++;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 32) {
      const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - i)), i);
    }
    return out;
  }) as RandomBytes & { calls: number };
  fn.calls = 0;
  return fn;
}

/** An RSA key pair from OpenSSL (fast), as PEM. */
export function rsaKeyPair(bits = 2048): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** A PKCS#10 request signed by `privateKeyPem`, asking for `sans` (URIs and DNS names). */
export function makeCsr(
  privateKeyPem: string,
  sans: ReadonlyArray<{ uri: string } | { dns: string } | { ip: string }> = [],
  commonName?: string,
): string {
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject(commonName ? [{ shortName: "CN", value: commonName }] : []);
  if (sans.length > 0) {
    const altNames = sans.map(s =>
      "uri" in s
        ? { type: 6, value: s.uri }
        : "dns" in s
          ? { type: 2, value: s.dns }
          : { type: 7, ip: s.ip },
    );
    csr.setAttributes([
      { name: "extensionRequest", extensions: [{ name: "subjectAltName", altNames }] },
    ]);
  }
  // Node signs: pure-JS RSA runs some 30 times slower under Jest than under plain Node.
  signCertificate(csr, nodeSigner(privateKeyPem));
  return forge.pki.certificationRequestToPem(csr);
}

/** A scratch directory, removed by the returned cleanup. */
export function scratchDir(): { dir: string; path: (f: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "rigging-ca-"));
  return {
    dir,
    path: f => join(dir, f),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the openssl CLI; returns its exit status and combined output. */
export function openssl(args: string[], cwd: string): { status: number; output: string } {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Like {@link openssl}, but throws on failure (for building fixtures). */
export function opensslOk(args: string[], cwd: string): string {
  const r = openssl(args, cwd);
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.output}`);
  return r.output;
}

/** Writes files into `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/**
 * `openssl verify` of `leaf` against `root`, with `untrusted` intermediates, at `at`, strictly
 * (RFC 5280 profile checks) and for `purpose` (checks key usage and extended key usage).
 */
export function opensslVerify(
  files: { root: string; leaf: string; untrusted?: string },
  at: Date,
  purpose: "sslclient" | "sslserver",
): { status: number; output: string } {
  const tmp = scratchDir();
  try {
    writeFiles(tmp.dir, {
      "root.pem": files.root,
      "leaf.pem": files.leaf,
      ...(files.untrusted ? { "chain.pem": files.untrusted } : {}),
    });
    const args = ["verify", "-x509_strict", "-purpose", purpose];
    args.push("-attime", String(Math.floor(at.getTime() / 1000)), "-CAfile", "root.pem");
    if (files.untrusted) args.push("-untrusted", "chain.pem");
    return openssl([...args, "leaf.pem"], tmp.dir);
  } finally {
    tmp.cleanup();
  }
}
