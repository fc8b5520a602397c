import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from "@grpc/grpc-js";
import { bearerToken, type TokenAuthenticator } from "../ca/server/create-certificate";
import { CA_SERVICE_NAME } from "../ca/server/proto";
import { AUTHENTICATED_NAMESPACE_KEY } from "../xds/server/caller";
import type { ControlPlaneLogger } from "./logger";

/**
 * Token authentication for the discovery services on the TLS port, as istiod does on 15012 with
 * `XDS_AUTH=true` (istio/istio `pilot/pkg/xds/authentication.go`): every ADS, per-type xDS and
 * CSDS stream must carry `authorization: Bearer <ServiceAccount token>` for audience `istio-ca`,
 * checked by TokenReview before the stream reaches the discovery server, which then serves only
 * nodes in the token's namespace (the namespace travels in `AUTHENTICATED_NAMESPACE_KEY`). The
 * CSR service is left to its own handler, which authenticates the same token itself.
 */

/** Refuses calls without a valid ServiceAccount token, except those `exempt` names. */
export function requireServiceAccountToken(
  authenticate: TokenAuthenticator,
  logger: ControlPlaneLogger,
  exempt: (path: string) => boolean = path => path.startsWith(`/${CA_SERVICE_NAME}/`),
): ServerInterceptor {
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
            metadata.remove(AUTHENTICATED_NAMESPACE_KEY);
            const token = bearerToken(metadata.get("authorization").map(String));
            if (token === undefined) {
              refuse(
                status.UNAUTHENTICATED,
                'authorization: expected metadata "authorization: Bearer <ServiceAccount token>" (audience istio-ca)',
              );
              return;
            }
            authenticate(token).then(
              who => {
                if (!who.ok) {
                  refuse(status.UNAUTHENTICATED, `authentication: ${who.errors.join("; ")}`);
                  return;
                }
                logger.debug(
                  {
                    method: method.path,
                    namespace: who.value.namespace,
                    serviceAccount: who.value.serviceAccount,
                  },
                  "xDS caller authenticated",
                );
                metadata.set(AUTHENTICATED_NAMESPACE_KEY, who.value.namespace);
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
