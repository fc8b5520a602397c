import { fail, ok, type Result } from "../mesh/result";
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CERT_CHAIN_FILE,
  ROOT_CERT_FILE,
  type AuthorityFiles,
} from "./authority";

/**
 * The authority's files in a Kubernetes Secret's `data` (values base64, RFC 4648 §4, as the API
 * server stores them). Same keys for Istio's plug-in `cacerts` and our persisted self-signed root.
 */

/** The four keys of a CA Secret, in Istio's names. */
export const CA_SECRET_KEYS = [CA_CERT_FILE, CA_KEY_FILE, ROOT_CERT_FILE, CERT_CHAIN_FILE] as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `data` for a Secret holding `files` (an empty chain is kept, as an empty value). */
export function toSecretData(files: Required<AuthorityFiles>): Record<string, string> {
  return Object.fromEntries(
    CA_SECRET_KEYS.map(k => [k, Buffer.from(files[k], "utf8").toString("base64")]),
  );
}

/**
 * The files in a Secret's `data`. Keys other than the four are ignored (Istio's own Secrets also
 * carry `key.pem`, `istio-generated`, …); a value that is not base64 is refused by name.
 */
export function fromSecretData(
  data: Readonly<Record<string, string | undefined>> | undefined,
): Result<AuthorityFiles> {
  const files: Record<string, string> = {};
  const errors: string[] = [];
  for (const k of CA_SECRET_KEYS) {
    const value = data?.[k];
    if (value === undefined) continue;
    const compact = value.replace(/\s+/g, "");
    if (!BASE64.test(compact) || compact.length % 4 !== 0) {
      errors.push(`${k}: Secret data is not base64`);
      continue;
    }
    files[k] = Buffer.from(compact, "base64").toString("utf8");
  }
  return errors.length > 0 ? fail(...errors) : ok(files as AuthorityFiles);
}
