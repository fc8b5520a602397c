import type { Snapshot } from "../cache/snapshot";
import { TypeUrl } from "../encode/type-urls";

/**
 * Who is on the other end of a stream, when the port authenticated the caller. The TLS port's
 * token check (control-plane/ads-auth.ts) puts the ServiceAccount's namespace in this call
 * metadata key, after removing any value the client sent itself; the session then refuses a node
 * that claims another namespace — otherwise any authenticated workload could ask for a gateway's
 * configuration and certificates (istiod's check: pilot/pkg/xds/authentication.go).
 */
export const AUTHENTICATED_NAMESPACE_KEY = "x-rigging-authenticated-namespace";

/** The authenticated ServiceAccount's name, set and stripped like the namespace key. */
export const AUTHENTICATED_SERVICE_ACCOUNT_KEY = "x-rigging-authenticated-service-account";

/**
 * Whether the authenticated ServiceAccount may list Secrets in its namespace (`allowed` or
 * `denied`), set and stripped like the namespace key. Without it, gateway credentials are
 * withheld: istiod serves `credentialName` Secrets only to such a proxy
 * (pilot/pkg/xds/sds.go, pilot/pkg/credentials/kube/secrets.go `Authorize`).
 */
export const SECRET_ACCESS_KEY = "x-rigging-secret-access";

/** Every key only the port's check may set; it removes them from what the client sent. */
export const CALLER_METADATA_KEYS: readonly string[] = [
  AUTHENTICATED_NAMESPACE_KEY,
  AUTHENTICATED_SERVICE_ACCOUNT_KEY,
  SECRET_ACCESS_KEY,
];

/** A caller the port authenticated. */
export interface AuthenticatedCaller {
  readonly namespace: string;
  /** The ServiceAccount's name, for logs. */
  readonly serviceAccount?: string;
  /** Whether Secrets may be served to it (see {@link SECRET_ACCESS_KEY}). */
  readonly secretsAllowed: boolean;
}

/**
 * The caller the port's check recorded in call metadata (`get` reads one key's first value), or
 * undefined when the port does not authenticate. Anything but an explicit `allowed` withholds
 * Secrets, so a port that authenticates without authorizing fails closed.
 */
export function authenticatedCaller(
  get: (key: string) => string | undefined,
): AuthenticatedCaller | undefined {
  const namespace = get(AUTHENTICATED_NAMESPACE_KEY);
  if (namespace === undefined) return undefined;
  return {
    namespace,
    serviceAccount: get(AUTHENTICATED_SERVICE_ACCOUNT_KEY),
    secretsAllowed: get(SECRET_ACCESS_KEY) === "allowed",
  };
}

/** The namespace a node claims: node metadata NAMESPACE, else the `pod.namespace` of its id. */
export function claimedNamespace(node: {
  readonly id: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}): string | undefined {
  const fromMetadata = node.metadata.NAMESPACE;
  if (typeof fromMetadata === "string" && fromMetadata !== "") return fromMetadata;
  // Istio's node id: type~ip~pod.namespace~namespace.svc.cluster.local
  const workload = node.id.split("~")[2];
  const dot = workload?.lastIndexOf(".") ?? -1;
  return workload && dot > 0 ? workload.slice(dot + 1) : undefined;
}

/** Why a node was refused, or undefined when its caller may speak for it. */
export function nodeRefusal(
  node: { readonly id: string; readonly metadata: Readonly<Record<string, unknown>> },
  caller: AuthenticatedCaller | undefined,
): string | undefined {
  if (caller === undefined) return undefined;
  const claimed = claimedNamespace(node);
  if (claimed === caller.namespace) return undefined;
  return (
    `node ${node.id} claims namespace ${claimed ?? "(none)"}, but the caller's ` +
    `token is for namespace ${caller.namespace}`
  );
}

/**
 * What a server does with Secrets for a caller no port authenticated (plaintext 15010, or TLS
 * without token auth): `serve` them (tests and `rig dev` on loopback) or `withhold` them, as
 * istiod does for a proxy without a verified identity (pilot/pkg/xds/sds.go).
 */
export type UnauthenticatedSecrets = "serve" | "withhold";

/**
 * What of `snapshot` the caller may receive: everything, except that a caller that may not list
 * Secrets gets no Secret resources (its Listeners still name them; Envoy keeps those waiting for
 * SDS, as with istiod). Returns `snapshot` itself when nothing is withheld, and how many Secrets
 * were withheld otherwise. No caller (a port that does not authenticate) is treated as
 * `unauthenticated` says.
 */
export function visibleToCaller(
  snapshot: Snapshot,
  caller: AuthenticatedCaller | undefined,
  unauthenticated: UnauthenticatedSecrets = "serve",
): { readonly snapshot: Snapshot; readonly withheld: number } {
  const secrets = snapshot.resources.get(TypeUrl.secret);
  const allowed = caller ? caller.secretsAllowed : unauthenticated === "serve";
  if (allowed || !secrets || secrets.size === 0) return { snapshot, withheld: 0 };
  const resources = new Map(snapshot.resources).set(TypeUrl.secret, new Map());
  // A fixed version: every withheld view of the type is the same (empty) content.
  const versions = new Map(snapshot.versions).set(TypeUrl.secret, "withheld");
  return { snapshot: Object.freeze({ resources, versions }), withheld: secrets.size };
}

/** The warning logged when Secrets are withheld: the node, the ServiceAccount and the rule. */
export function secretsWithheldMessage(
  nodeId: string,
  caller: AuthenticatedCaller | undefined,
): string {
  if (!caller)
    return (
      `xDS node ${nodeId}: connected without authentication (plaintext xDS): gateway ` +
      `credentials withheld; connect over TLS (15012) with a ServiceAccount token`
    );
  return (
    `xDS node ${nodeId}: ServiceAccount ${caller.namespace}/${caller.serviceAccount ?? "(unknown)"} ` +
    `may not list secrets in namespace ${caller.namespace}: gateway credentials withheld`
  );
}
