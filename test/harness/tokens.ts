/**
 * ServiceAccount tokens from a local cluster: real ones from the TokenRequest API (what a
 * projected `istio-token` volume holds), and an expired one signed with the cluster's own
 * ServiceAccount key, which the API server's TokenReview refuses only for its expiry.
 */
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalCluster } from "./cluster";
import { getJson } from "./kube";

/** A token for `ns/sa` from the TokenRequest API, for `audiences` (default `istio-ca`). */
export async function requestToken(
  cluster: LocalCluster,
  ns: string,
  sa: string,
  audiences: readonly string[] = ["istio-ca"],
  expirationSeconds = 3600,
): Promise<string> {
  const res = await cluster.api("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { audiences, expirationSeconds },
  });
  if (res.status !== 201) throw new Error(`TokenRequest ${ns}/${sa}: HTTP ${res.status}`);
  return (res.body as { status: { token: string } }).status.token;
}

/** A token for a real ServiceAccount, audience `istio-ca`, signed by the cluster, expired an hour ago. */
export async function expiredToken(cluster: LocalCluster, ns: string, sa: string): Promise<string> {
  const account = await getJson<{ metadata: { uid: string } }>(
    cluster,
    `/api/v1/namespaces/${ns}/serviceaccounts/${sa}`,
  );
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const unsigned = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({
    iss: "https://kubernetes.default.svc.cluster.local",
    sub: `system:serviceaccount:${ns}:${sa}`,
    aud: ["istio-ca"],
    iat: now - 7200,
    nbf: now - 7200,
    exp: now - 3600,
    "kubernetes.io": { namespace: ns, serviceaccount: { name: sa, uid: account.metadata.uid } },
  })}`;
  const key = createPrivateKey(readFileSync(join(cluster.state.dir, "pki", "sa.key")));
  return `${unsigned}.${sign("sha256", Buffer.from(unsigned), key).toString("base64url")}`;
}
