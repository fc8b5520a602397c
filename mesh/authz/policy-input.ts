/**
 * AuthorizationPolicies as the authorization builders and `rig x explain` read them: the input,
 * the notes a user is told, dry-run, and the grouping by action. No Envoy output here; the
 * filters are built in `xds/compile/security/rbac-builder.ts`.
 */
import type { AuthorizationPolicySpec } from "../api/authorization-policy";

/** An AuthorizationPolicy as the builder needs it. */
export interface AuthzPolicyInput {
  readonly namespace: string;
  readonly name: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly spec: AuthorizationPolicySpec;
}

/** Something a user should know about what was built: names the object and the field path. */
export interface AuthzNote {
  readonly severity: "error" | "info";
  /** e.g. `AuthorizationPolicy foo/httpbin: spec.rules[0].to[0].operation.methods: skipped on TCP: ":method" is HTTP only`. */
  readonly message: string;
}

const DRY_RUN_ANNOTATION = "istio.io/dry-run";

/** `AuthorizationPolicy ns/name`, the prefix of every note. */
export const label = (p: AuthzPolicyInput) => `AuthorizationPolicy ${p.namespace}/${p.name}`;

/** Go's `strconv.ParseBool`; anything else counts as false (and is reported). */
export function isDryRun(p: AuthzPolicyInput, notes: AuthzNote[]): boolean {
  const v = p.annotations?.[DRY_RUN_ANNOTATION];
  if (v === undefined) return false;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (!["0", "f", "F", "FALSE", "false", "False"].includes(v)) {
    notes.push({
      severity: "error",
      message: `${label(p)}: metadata.annotations["${DRY_RUN_ANNOTATION}"]: ${JSON.stringify(v)} is not a boolean; policy enforced`,
    });
  }
  return false;
}

/** Policies grouped by action (unset means ALLOW). */
export function splitByAction(policies: readonly AuthzPolicyInput[]) {
  const by = {
    CUSTOM: [] as AuthzPolicyInput[],
    AUDIT: [] as AuthzPolicyInput[],
    DENY: [] as AuthzPolicyInput[],
    ALLOW: [] as AuthzPolicyInput[],
  };
  for (const p of policies) by[p.spec.action ?? "ALLOW"].push(p);
  return by;
}
