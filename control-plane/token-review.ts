import { K8s, kind } from "kubernetes-fluent-client";
import type { ServiceAccountRef, TokenAuthenticator } from "../ca/server/create-certificate";
import { fail, ok, type Result } from "../mesh/result";

/**
 * Authenticating a caller's ServiceAccount token with the API server's TokenReview
 * (https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-review-v1/),
 * as istiod's `security/pkg/server/ca/authenticate/kubeauth` does: the review is asked for
 * audience `istio-ca`, so a token minted for anything else (including the default API-server
 * audience) is refused by the API server itself, and the identity comes from the reviewed
 * username `system:serviceaccount:<ns>:<sa>`, never from anything the caller claims.
 */

/** The audience workload tokens for the CA carry (Istio's `istio-ca`). */
export const ISTIO_CA_AUDIENCE = "istio-ca";

/** The part of a TokenReview's status the decision reads. */
export interface TokenReviewStatus {
  /** Whether the API server accepted the token. */
  readonly authenticated?: boolean;
  /** The authenticated user. */
  readonly user?: { readonly username?: string };
  /** The audiences the token is valid for, of those asked (empty or absent: none were asked). */
  readonly audiences?: readonly string[];
  /** Why the token was refused. */
  readonly error?: string;
}

/** Sends one TokenReview and returns its status; throws when the API server cannot answer. */
export type TokenReviewer = (
  token: string,
  audiences: readonly string[],
) => Promise<TokenReviewStatus>;

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * The identity a reviewed token proves, or why it proves none. Pure, so every refusal is
 * table-tested; messages never contain the token.
 */
export function identityFromTokenReview(
  status: TokenReviewStatus,
  audience: string = ISTIO_CA_AUDIENCE,
): Result<ServiceAccountRef> {
  if (status.authenticated !== true) {
    const why = status.error ? `: ${redactTokens(status.error)}` : "";
    return fail(`token refused by the API server's TokenReview for audience "${audience}"${why}`);
  }
  // The API server answers with the subset of the asked audiences the token is valid for; an
  // empty list would mean it ignored the question (an authenticator without audience support).
  if (!status.audiences?.includes(audience)) {
    const got = status.audiences?.length ? status.audiences.join(", ") : "none";
    return fail(`token is not valid for audience "${audience}" (TokenReview audiences: ${got})`);
  }
  const username = status.user?.username ?? "";
  const m = SA_USER.exec(username);
  if (!m) {
    return fail(
      `token belongs to user "${printable(username)}", not to a ServiceAccount ` +
        `(system:serviceaccount:<namespace>:<name>)`,
    );
  }
  return ok({ namespace: m[1]!, serviceAccount: m[2]! });
}

/**
 * A {@link TokenAuthenticator} backed by TokenReview. A review the API server refuses is a
 * refusal (UNAUTHENTICATED for the caller); a review that cannot be sent throws, which the CSR
 * service reports as UNAVAILABLE ("retry"), not as a bad token.
 */
export function tokenReviewAuthenticator(
  review: TokenReviewer = kubernetesTokenReviewer,
  audience: string = ISTIO_CA_AUDIENCE,
): TokenAuthenticator {
  return async token => {
    if (token.length === 0) return fail("token is empty");
    return identityFromTokenReview(await review(token, [audience]), audience);
  };
}

/** Sends the TokenReview through kubernetes-fluent-client (KUBECONFIG or in-cluster config). */
export const kubernetesTokenReviewer: TokenReviewer = async (token, audiences) => {
  let answer: kind.TokenReview;
  try {
    answer = await K8s(kind.TokenReview).Create({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token, audiences: [...audiences] },
    });
  } catch (err) {
    // kubernetes-fluent-client throws the response; its body echoes nothing of the request, but
    // only the status is kept so that a token can never reach a log through this error.
    const status = (err as { status?: number }).status;
    throw new Error(`TokenReview failed${status ? ` (HTTP ${status})` : ""}`);
  }
  return (answer.status ?? {}) as TokenReviewStatus;
};

// JWTs are three base64url parts joined by dots; API-server errors do not include the token, but
// a reason string is free text from an authenticator we do not control.
const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

function redactTokens(text: string): string {
  return printable(text.replace(JWT_LIKE, "[token]")).slice(0, 300);
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
}
