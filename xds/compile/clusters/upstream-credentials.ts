/**
 * A gateway's DestinationRule `credentialName` for TLS origination, served over ADS as Istio
 * names it: `kubernetes://<name>` (the client certificate and key, MUTUAL) and
 * `kubernetes://<name>-cacert` (the CA that verifies the server: Secret `<name>-cacert`, else
 * `<name>`'s `ca.crt`), from the gateway proxy's namespace, as for Gateway servers.
 *
 * A reference to a Secret the store lacks would fail the snapshot's reference check (and so
 * withhold the gateway's whole configuration), so the cluster fails closed instead.
 *
 * @see istio/istio pilot/pkg/security/model/authentication.go (ApplyCustomSDSToClientCommonTLSContext)
 * @see istio/istio pilot/pkg/credentials/kube/secrets.go (GetCaCert)
 */
import { getIn } from "../../../mesh/store";
import { TypeUrl } from "../../encode/type-urls";
import type { ProxyScope } from "../scope";
import type { SecretResource } from "../shared/envoy";

/** Istio's prefix for Secrets read from Kubernetes. */
export const KUBERNETES_PREFIX = "kubernetes://";
/** The SDS name suffix of a credential's CA certificate. */
export const CA_SUFFIX = "-cacert";

/** The Secret name of a `credentialName`, or undefined for another scheme (`configmap://`). */
export function kubernetesSecretName(credentialName: string): string | undefined {
  const name = credentialName.startsWith(KUBERNETES_PREFIX)
    ? credentialName.slice(KUBERNETES_PREFIX.length)
    : credentialName;
  return name.includes("://") || name === "" ? undefined : name;
}

/** An ADS Secret resource, or why it cannot be served. */
export type Credential = { readonly resource: SecretResource } | { readonly problem: string };

function clientCertificate(scope: ProxyScope, name: string): Credential {
  const ns = scope.proxy.namespace;
  const pair = getIn(scope.store.tlsSecrets, `${ns}/${name}`)?.keyPair;
  if (!pair) return { problem: `no Secret ${ns}/${name} with tls.crt and tls.key` };
  if (!pair.ok) return { problem: `Secret ${ns}/${name}: ${pair.problem}` };
  return {
    resource: {
      "@type": TypeUrl.secret,
      name: `${KUBERNETES_PREFIX}${name}`,
      tls_certificate: {
        certificate_chain: { inline_string: pair.value.certificateChain },
        private_key: { inline_string: pair.value.privateKey },
      },
    },
  };
}

function caCertificate(scope: ProxyScope, name: string): Credential {
  const ns = scope.proxy.namespace;
  const secret =
    getIn(scope.store.tlsSecrets, `${ns}/${name}${CA_SUFFIX}`) ??
    getIn(scope.store.tlsSecrets, `${ns}/${name}`);
  const ca = secret?.caCertificate;
  if (!ca) return { problem: `no Secret ${ns}/${name}${CA_SUFFIX} or ${ns}/${name} with ca.crt` };
  if (!ca.ok) return { problem: `Secret ${secret.namespace}/${secret.name}: ${ca.problem}` };
  return {
    resource: {
      "@type": TypeUrl.secret,
      name: `${KUBERNETES_PREFIX}${name}${CA_SUFFIX}`,
      validation_context: { trusted_ca: { inline_string: ca.value } },
    },
  };
}

/**
 * The Secrets one origination needs: the client certificate when `mutual`, the CA unless the
 * server goes unverified (`insecureSkipVerify`).
 */
export function originationCredentials(
  scope: ProxyScope,
  name: string,
  mutual: boolean,
  verify: boolean,
): Credential[] {
  const out: Credential[] = [];
  if (mutual) out.push(clientCertificate(scope, name));
  if (verify) out.push(caCertificate(scope, name));
  return out;
}

/**
 * `secrets` with `more` added by name. A name already served keeps its first resource: the
 * same name always means the same Secret, except when a Gateway server's
 * `caCertCredentialName` names a client certificate, which is reported.
 */
export function mergeSecrets(
  secrets: readonly SecretResource[],
  more: readonly SecretResource[],
): { secrets: SecretResource[]; conflicts: string[] } {
  const byName = new Map(secrets.map(s => [String(s.name), s]));
  const conflicts: string[] = [];
  for (const s of more) {
    const had = byName.get(String(s.name));
    if (!had) byName.set(String(s.name), s);
    else if (JSON.stringify(had) !== JSON.stringify(s))
      conflicts.push(
        `SDS secret ${String(s.name)}: a Gateway server serves it as another kind of ` +
          `certificate; DestinationRule credentialName clusters loading it cannot handshake`,
      );
  }
  const names = [...byName.keys()].sort();
  return { secrets: names.map(n => byName.get(n)!), conflicts };
}
