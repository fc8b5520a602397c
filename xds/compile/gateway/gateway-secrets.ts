/**
 * SDS for gateway proxies: the `credentialName` Secrets a gateway's terminating servers load
 * over ADS, as Envoy `Secret` resources named as Istio names them —
 * `kubernetes://<name>` (a tls_certificate) and `kubernetes://<name>-cacert` (a
 * validation_context), the latter from Secret `<name>-cacert` or else from `<name>`'s CA key.
 *
 * Secrets are looked up in the gateway proxy's namespace, as Istio does for `credentialName`:
 * the Secret lives with the gateway deployment, not with the Gateway resource (which may be in
 * any namespace).
 *
 * A server whose Secret is missing or malformed is left out with a reason, instead of
 * referencing a Secret the snapshot lacks: that dangling reference would fail the consistency
 * check and withhold the gateway's whole configuration, or (were it shipped) keep Envoy's
 * listener warming forever. The gateway's other servers keep working.
 *
 * @see istio/istio pilot/pkg/xds/sds.go, pilot/pkg/credentials/kube/secrets.go (GetCaCert)
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/transport_sockets/tls/v3/secret.proto
 */
import type { TlsSecret } from "../../../mesh/store";
import { getIn } from "../../../mesh/store";
import { TypeUrl } from "../../encode/type-urls";
import type { GatewayPort, GatewayServer } from "./gateway-model";
import { CA_CERT_SUFFIX, CREDENTIAL_PREFIX, serverCredentials } from "./gateway-tls";
import type { ProxyScope } from "../scope";
import type { SecretResource } from "../shared/envoy";

/** A server left out because its credentials cannot be served. */
export interface SkippedServer {
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  /** Index in the Gateway's `spec.servers`. */
  readonly serverIndex: number;
  readonly credentialName: string;
  /** What is wrong, naming Secrets and keys, never their contents. */
  readonly problem: string;
}

/** The servers that can be served, the Secrets they load, and the ones left out. */
export interface GatewaySecrets {
  /** `ports` without the skipped servers (and without ports left empty). */
  readonly ports: GatewayPort[];
  /** Envoy Secret resources, sorted by name. */
  readonly secrets: SecretResource[];
  readonly skipped: SkippedServer[];
}

/** The message the runtime logs for a skipped server. */
export function skippedServerMessage(s: SkippedServer): string {
  return (
    `Gateway ${s.gateway}: spec.servers[${s.serverIndex}].tls.credentialName ` +
    `${JSON.stringify(s.credentialName)}: ${s.problem}; the server is left out`
  );
}

type Need =
  | { readonly sdsName: string; readonly resource: SecretResource }
  | { readonly problem: string };

function certificateNeed(
  secrets: ProxyScope["store"]["tlsSecrets"],
  ns: string,
  name: string,
): Need {
  const secret = getIn(secrets, `${ns}/${name}`);
  if (!secret) return { problem: `no Secret ${ns}/${name} with TLS data` };
  const pair = secret.keyPair;
  if (!pair) return { problem: `Secret ${ns}/${name} has no tls.crt/tls.key or cert/key` };
  if (!pair.ok) return { problem: `Secret ${ns}/${name}: ${pair.problem}` };
  const sdsName = `${CREDENTIAL_PREFIX}${name}`;
  return {
    sdsName,
    resource: {
      "@type": TypeUrl.secret,
      name: sdsName,
      tls_certificate: {
        certificate_chain: { inline_string: pair.value.certificateChain },
        private_key: { inline_string: pair.value.privateKey },
      },
    },
  };
}

/** Istio's GetCaCert: Secret `<name>` if it exists, else `<name>` without `-cacert`. */
function caNeed(secrets: ProxyScope["store"]["tlsSecrets"], ns: string, name: string): Need {
  const stripped = name.endsWith(CA_CERT_SUFFIX) ? name.slice(0, -CA_CERT_SUFFIX.length) : name;
  const secret: TlsSecret | undefined =
    getIn(secrets, `${ns}/${name}`) ?? getIn(secrets, `${ns}/${stripped}`);
  const which = secret ? `${secret.namespace}/${secret.name}` : "";
  if (!secret) return { problem: `no Secret ${ns}/${name} or ${ns}/${stripped} with a client CA` };
  const ca = secret.caCertificate;
  if (!ca) return { problem: `Secret ${which} has no ca.crt or cacert for the client CA` };
  if (!ca.ok) return { problem: `Secret ${which}: ${ca.problem}` };
  const sdsName = `${CREDENTIAL_PREFIX}${name}`;
  return {
    sdsName,
    resource: {
      "@type": TypeUrl.secret,
      name: sdsName,
      validation_context: { trusted_ca: { inline_string: ca.value } },
    },
  };
}

/** Which of Envoy's Secret kinds a resource is; one SDS name can be only one of them. */
const kindOf = (resource: SecretResource) => ("tls_certificate" in resource ? "certificate" : "CA");

/**
 * The Secret resources one server needs, or the first reason it cannot have them. A name
 * another server already serves as the other kind (a caCertCredentialName naming a server
 * credential) is such a reason: one SDS name is one resource.
 */
function resolveServer(
  scope: ProxyScope,
  server: GatewayServer,
  served: ReadonlyMap<string, SecretResource>,
): { resources: SecretResource[] } | { problem: string } {
  if (server.kind !== "https" && server.kind !== "tls-terminated") return { resources: [] };
  const creds = serverCredentials(server.spec.tls ?? {});
  if (!creds) return { resources: [] };
  const { tlsSecrets } = scope.store;
  const ns = scope.proxy.namespace;
  const needs = creds.certificates.map(n => certificateNeed(tlsSecrets, ns, n));
  if (creds.caCertificate) needs.push(caNeed(tlsSecrets, ns, creds.caCertificate));
  const resources: SecretResource[] = [];
  for (const need of needs) {
    if ("problem" in need) return need;
    const other = served.get(need.sdsName);
    if (other && kindOf(other) !== kindOf(need.resource))
      return { problem: `${need.sdsName} is already served as a ${kindOf(other)}` };
    resources.push(need.resource);
  }
  return { resources };
}

/**
 * Resolves every server's credentials against the store's Secrets: the Secret resources to
 * serve, and the ports with the servers that cannot be served left out.
 */
export function gatewaySecrets(scope: ProxyScope, ports: readonly GatewayPort[]): GatewaySecrets {
  const served = new Map<string, SecretResource>();
  const skipped: SkippedServer[] = [];
  const keptPorts: GatewayPort[] = [];
  for (const port of ports) {
    const servers = port.servers.filter(server => {
      const resolved = resolveServer(scope, server, served);
      if ("problem" in resolved) {
        skipped.push({
          gateway: server.gateway,
          serverIndex: server.index,
          credentialName: serverCredentials(server.spec.tls ?? {})?.credentialName ?? "",
          problem: resolved.problem,
        });
        return false;
      }
      for (const r of resolved.resources) served.set(String(r.name), r);
      return true;
    });
    if (servers.length > 0) keptPorts.push({ ...port, servers });
  }
  const secrets = [...served.keys()].sort().map(name => served.get(name)!);
  return { ports: keptPorts, secrets, skipped };
}
