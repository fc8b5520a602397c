import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from "@grpc/grpc-js";
import { bearerToken, type TokenAuthenticator } from "../ca/server/create-certificate";
import { CA_SERVICE_NAME } from "../ca/server/proto";
import {
  AUTHENTICATED_NAMESPACE_KEY,
  AUTHENTICATED_SERVICE_ACCOUNT_KEY,
  CALLER_METADATA_KEYS,
  SECRET_ACCESS_KEY,
} from "../xds/server/caller";
import type { ControlPlaneLogger } from "./logger";
import type { SecretAccess, SecretAccessAuthorizer } from "./secret-access";

/**
 * Token authentication for the discovery services on the TLS port, as istiod does on 15012 with
 * `XDS_AUTH=true` (istio/istio `pilot/pkg/xds/authentication.go`): every ADS, per-type xDS and
 * CSDS stream must carry `authorization: Bearer <ServiceAccount token>` for audience `istio-ca`,
 * checked by TokenReview before the stream reaches the discovery server, which then serves only
 * nodes in the token's namespace (the namespace travels in `AUTHENTICATED_NAMESPACE_KEY`). The
 * CSR service is left to its own handler, which authenticates the same token itself.
 *
 * Once the token is good, the caller is asked whether it may list Secrets in its namespace
 * (SubjectAccessReview, control-plane/secret-access.ts), as istiod asks before serving SDS; the
 * answer travels in `SECRET_ACCESS_KEY`, and without `allowed` the session withholds Secrets.
 */

/**
 * Refuses calls without a valid ServiceAccount token, except those `exempt` names, and records
 * whether the caller may receive Secrets.
 */
export function requireServiceAccountToken(
  authenticate: TokenAuthenticator,
  authorizeSecrets: SecretAccessAuthorizer,
  logger: ControlPlaneLogger,
  exempt: (path: string) => boolean = path => path.startsWith(`/${CA_SERVICE_NAME}/`),
): ServerInterceptor {
  type Admission =
    | { ok: true; namespace: string; serviceAccount: string; secrets: SecretAccess }
    | { ok: false; code: status; details: string };
  // Who the token proves, then whether it may receive Secrets. A throwing authenticator rejects
  // (UNAVAILABLE: retry); a throwing authorizer only withholds Secrets (it fails closed itself).
  const admit = async (token: string): Promise<Admission> => {
    const who = await authenticate(token);
    if (!who.ok)
      return {
        ok: false,
        code: status.UNAUTHENTICATED,
        details: `authentication: ${who.errors.join("; ")}`,
      };
    const secrets = await authorizeSecrets(who.value).catch(
      (): SecretAccess => ({ allowed: false, reason: "the secret access check failed" }),
    );
    logger.debug(
      { ...who.value, secretsAllowed: secrets.allowed, secretAccess: secrets.reason },
      "xDS caller authenticated",
    );
    return { ok: true, ...who.value, secrets };
  };
  return (method, call) => {
    if (exempt(method.path)) return new ServerInterceptingCall(call);
    const refuse = (code: status, details: string): void => {
      logger.warn({ method: method.path, code: status[code] }, `xDS call refused: ${details}`);
      call.sendStatus({ code, details, metadata: new Metadata() });
    };
    return new ServerInterceptingCall(call, {
      start: next =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            // Only this check may say who the caller is: drop whatever the client claimed.
            for (const key of CALLER_METADATA_KEYS) metadata.remove(key);
            const token = bearerToken(metadata.get("authorization").map(String));
            if (token === undefined) {
              refuse(
                status.UNAUTHENTICATED,
                'authorization: expected metadata "authorization: Bearer <ServiceAccount token>" (audience istio-ca)',
              );
              return;
            }
            void admit(token).then(
              who => {
                if (!who.ok) return refuse(who.code, who.details);
                metadata.set(AUTHENTICATED_NAMESPACE_KEY, who.namespace);
                metadata.set(AUTHENTICATED_SERVICE_ACCOUNT_KEY, who.serviceAccount);
                metadata.set(SECRET_ACCESS_KEY, who.secrets.allowed ? "allowed" : "denied");
                pass(metadata);
              },
              () =>
                refuse(status.UNAVAILABLE, "authentication: the token could not be checked; retry"),
            );
          },
        }),
    });
  };
}
