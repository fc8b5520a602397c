import { K8s, kind } from "kubernetes-fluent-client";
import type { ServiceAccountRef } from "../ca/server/create-certificate";
import type { ControlPlaneLogger } from "./logger";

/**
 * Whether an authenticated proxy may receive its namespace's Secrets (a gateway's
 * `credentialName` certificates and keys), decided as istiod decides it before serving SDS
 * (istio/istio `pilot/pkg/credentials/kube/secrets.go`, `Authorize`): a SubjectAccessReview
 * (https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/subject-access-review-v1/)
 * asking whether user `system:serviceaccount:<ns>:<sa>` may `list` `secrets` in `<ns>`. A
 * workload that could read the Secrets through the API server loses nothing by getting them
 * over xDS; one that could not must not get them just by claiming to be a gateway.
 *
 * Answers are cached per ServiceAccount, so a gateway's reconnecting streams ask once: a grant
 * for a minute, a denial for less so that a newly bound Role takes effect quickly. An API server
 * that cannot answer means "not allowed" (fail closed) and is not cached, so the next stream
 * asks again.
 */

/** The question a SubjectAccessReview asks, as the API's `spec` spells it. */
export interface AccessReviewSpec {
  /** The user asking: `system:serviceaccount:<namespace>:<name>`. */
  readonly user: string;
  readonly resourceAttributes: {
    readonly namespace: string;
    readonly verb: string;
    /** API group of the resource (`""`, the core group, for Secrets). */
    readonly group: string;
    readonly resource: string;
  };
}

/** The part of a SubjectAccessReview's status the decision reads. */
export interface AccessReviewStatus {
  /** Whether some authorizer allowed the request. */
  readonly allowed?: boolean;
  /** Why (free text from the authorizer). */
  readonly reason?: string;
  /** An authorizer failed while deciding; `allowed` may still be set by another. */
  readonly evaluationError?: string;
}

/** Sends one SubjectAccessReview and returns its status; throws when the API server cannot answer. */
export type SubjectAccessReviewer = (spec: AccessReviewSpec) => Promise<AccessReviewStatus>;

/** Whether a ServiceAccount may receive Secrets, and why, for logs and the session's warning. */
export interface SecretAccess {
  readonly allowed: boolean;
  /** The rule and outcome in words, naming the ServiceAccount and namespace. */
  readonly reason: string;
}

/** Decides {@link SecretAccess} for a caller. Never rejects: an unanswerable question is a denial. */
export type SecretAccessAuthorizer = (who: ServiceAccountRef) => Promise<SecretAccess>;

/** How long answers are reused, in milliseconds. */
export interface SecretAccessTtl {
  readonly allowedMs: number;
  readonly deniedMs: number;
}

/** A grant is reused for a minute; a denial for ten seconds, so that a new RoleBinding is seen soon. */
export const DEFAULT_SECRET_ACCESS_TTL: SecretAccessTtl = { allowedMs: 60_000, deniedMs: 10_000 };

/** The review istiod sends: may the ServiceAccount list Secrets in its own namespace? */
export function secretAccessReviewSpec(who: ServiceAccountRef): AccessReviewSpec {
  return {
    user: `system:serviceaccount:${who.namespace}:${who.serviceAccount}`,
    resourceAttributes: { namespace: who.namespace, verb: "list", group: "", resource: "secrets" },
  };
}

/** The answer a review's status gives. Pure; `allowed` must be literally true. */
export function secretAccessFromReview(
  who: ServiceAccountRef,
  status: AccessReviewStatus,
): SecretAccess {
  const subject = `ServiceAccount ${who.namespace}/${who.serviceAccount}`;
  if (status.allowed === true)
    return { allowed: true, reason: `${subject} may list secrets in namespace ${who.namespace}` };
  const why = status.reason || status.evaluationError;
  return {
    allowed: false,
    reason:
      `${subject} may not list secrets in namespace ${who.namespace}` +
      (why ? ` (SubjectAccessReview: ${printable(why)})` : ""),
  };
}

/** Settings of {@link secretAccessAuthorizer}. */
export interface SecretAccessAuthorizerOptions {
  /** Where warnings about unanswerable reviews go. */
  readonly logger: ControlPlaneLogger;
  /** Sends the review. @default {@link kubernetesSubjectAccessReviewer} */
  readonly review?: SubjectAccessReviewer;
  /** Milliseconds since epoch. @default Date.now */
  readonly now?: () => number;
  /** @default {@link DEFAULT_SECRET_ACCESS_TTL} */
  readonly ttl?: SecretAccessTtl;
}

interface CacheEntry {
  readonly answer: Promise<SecretAccess>;
  /** Undefined while the review is in flight (concurrent callers share it). */
  expiresAt?: number;
}

/** A {@link SecretAccessAuthorizer} backed by SubjectAccessReview, with a per-ServiceAccount cache. */
export function secretAccessAuthorizer(
  options: SecretAccessAuthorizerOptions,
): SecretAccessAuthorizer {
  const review = options.review ?? kubernetesSubjectAccessReviewer;
  const now = options.now ?? Date.now;
  const ttl = options.ttl ?? DEFAULT_SECRET_ACCESS_TTL;
  const cache = new Map<string, CacheEntry>();

  const dropExpired = (at: number): void => {
    for (const [key, entry] of cache)
      if (entry.expiresAt !== undefined && entry.expiresAt <= at) cache.delete(key);
  };

  const ask = async (who: ServiceAccountRef): Promise<{ access: SecretAccess; cache: boolean }> => {
    try {
      return {
        access: secretAccessFromReview(who, await review(secretAccessReviewSpec(who))),
        cache: true,
      };
    } catch (err) {
      options.logger.warn(
        { namespace: who.namespace, serviceAccount: who.serviceAccount, err: errorText(err) },
        `SubjectAccessReview for ServiceAccount ${who.namespace}/${who.serviceAccount} failed; ` +
          `treating it as not allowed to list secrets in namespace ${who.namespace}`,
      );
      return {
        access: {
          allowed: false,
          reason:
            `ServiceAccount ${who.namespace}/${who.serviceAccount} could not be checked for ` +
            `list secrets in namespace ${who.namespace} (SubjectAccessReview failed)`,
        },
        cache: false,
      };
    }
  };

  return who => {
    // `/` cannot occur in either name, so the key is unambiguous.
    const key = `${who.namespace}/${who.serviceAccount}`;
    dropExpired(now());
    const cached = cache.get(key);
    if (cached) return cached.answer;
    const entry: CacheEntry = {
      answer: ask(who).then(({ access, cache: keep }) => {
        if (!keep) cache.delete(key);
        else entry.expiresAt = now() + (access.allowed ? ttl.allowedMs : ttl.deniedMs);
        return access;
      }),
    };
    cache.set(key, entry);
    return entry.answer;
  };
}

/** Sends the SubjectAccessReview through kubernetes-fluent-client (KUBECONFIG or in-cluster). */
export const kubernetesSubjectAccessReviewer: SubjectAccessReviewer = async spec => {
  let answer: kind.SubjectAccessReview;
  try {
    answer = await K8s(kind.SubjectAccessReview).Create({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: { user: spec.user, resourceAttributes: { ...spec.resourceAttributes } },
    });
  } catch (err) {
    // kubernetes-fluent-client throws the response (with `status`) or a plain Error.
    const status = (err as { status?: number }).status;
    throw new Error(
      `SubjectAccessReview failed${status ? ` (HTTP ${status})` : `: ${errorText(err)}`}`,
    );
  }
  return (answer.status ?? {}) as AccessReviewStatus;
};

function errorText(err: unknown): string {
  return printable(err instanceof Error ? err.message : String(err));
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
}
