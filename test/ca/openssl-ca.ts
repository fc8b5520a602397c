import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { opensslOk } from "./fixtures";

/**
 * Plug-in CA material made by the openssl CLI — an implementation independent of ours, shaped
 * like Istio's `tools/certs` Makefiles: a root, an intermediate that signs (with a SPIFFE SAN and
 * pathlen), and `cert-chain.pem` = intermediate + root. Validity starts at the real current time
 * (`openssl x509 -req` cannot backdate), so tests using it pass a clock near `Date.now()`.
 */

const CA_EXT = [
  "[ca]",
  "basicConstraints = critical, CA:TRUE",
  "keyUsage = critical, digitalSignature, keyCertSign, cRLSign",
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid:always",
  "subjectAltName = URI:spiffe://cluster.local/ns/istio-system/sa/citadel",
  "[notca]",
  "basicConstraints = critical, CA:FALSE",
  "keyUsage = critical, digitalSignature, keyEncipherment",
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid:always",
].join("\n");

/** A generator of CA material in one scratch directory. */
export class OpensslCa {
  constructor(private readonly dir: string) {
    writeFileSync(join(dir, "ext.cnf"), CA_EXT);
  }

  /** Reads a file this generator wrote. */
  read(name: string): string {
    return readFileSync(join(this.dir, name), "utf8");
  }

  /** An RSA key `<name>-key.pem`. */
  rsaKey(name: string, bits = 2048): string {
    opensslOk(["genrsa", "-out", `${name}-key.pem`, String(bits)], this.dir);
    return this.read(`${name}-key.pem`);
  }

  /** A self-signed root `<name>-cert.pem` (key `<name>-key.pem`). */
  root(name: string, subject: string, days = 3650): string {
    this.rsaKey(name);
    opensslOk(
      ["req", "-x509", "-new", "-key", `${name}-key.pem`, "-sha256", "-days", String(days)]
        .concat(["-subj", subject, "-out", `${name}-cert.pem`])
        .concat(["-addext", "basicConstraints=critical,CA:TRUE"])
        .concat(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
      this.dir,
    );
    return this.read(`${name}-cert.pem`);
  }

  /**
   * `<name>-cert.pem` for a new key, signed by `<issuer>`; `profile` picks CA or not. A subject
   * with `+` makes a multi-valued RDN.
   */
  issue(name: string, subject: string, issuer: string, profile: "ca" | "notca" = "ca", days = 730) {
    this.rsaKey(name);
    opensslOk(
      ["req", "-new", "-key", `${name}-key.pem`, "-subj", subject, "-out", `${name}.csr`].concat(
        subject.includes("+") ? ["-multivalue-rdn"] : [],
      ),
      this.dir,
    );
    opensslOk(
      ["x509", "-req", "-in", `${name}.csr`, "-sha256", "-days", String(days)]
        .concat([
          "-CA",
          `${issuer}-cert.pem`,
          "-CAkey",
          `${issuer}-key.pem`,
          "-set_serial",
          "0x1001",
        ])
        .concat(["-extfile", "ext.cnf", "-extensions", profile, "-out", `${name}-cert.pem`]),
      this.dir,
    );
    return this.read(`${name}-cert.pem`);
  }
}
