/**
 * AuthorizationPolicy validation: sources, operations, conditions and what each action allows.
 * Rules: Istio's ValidateAuthorizationPolicy.
 * https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import type { AuthorizationPolicySpec, Rule, Source } from "../../mesh/api/authorization-policy";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import {
  checkAttributeKey,
  checkAttributeValues,
  checkIPs,
  checkNonEmpty,
  checkPathTemplates,
  checkPortValues,
  checkServiceAccounts,
  checkTrustDomains,
} from "./authz-values";
import { runValidator } from "./pipeline";
import { checkPolicyTargets } from "./policy-target";

const EMPTY_RULES =
  "without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request";

// Identity fields the external authorizer of a CUSTOM policy does not see.
const CUSTOM_UNSUPPORTED_SOURCE = [
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
  "trustDomains",
  "notTrustDomains",
  "principals",
  "notPrincipals",
  "requestPrincipals",
  "notRequestPrincipals",
] as const;

const title = (f: string): string => f.charAt(0).toUpperCase() + f.slice(1);

function checkCustomRule(report: Report, path: string, rule: Rule): void {
  (rule.from ?? []).forEach((f, i) => {
    for (const field of CUSTOM_UNSUPPORTED_SOURCE) {
      if ((f.source?.[field] ?? []).length > 0) {
        report.error(
          at(idx(at(path, "from"), i), `source.${field}`),
          `From.${title(field)} is currently not supported with CUSTOM action`,
        );
      }
    }
  });
  (rule.when ?? []).forEach((w, i) => {
    const k = w.key;
    if (
      [
        "source.namespace",
        "source.serviceAccount",
        "source.trustDomain",
        "source.principal",
      ].includes(k) ||
      k.startsWith("request.auth.")
    ) {
      report.error(
        at(idx(at(path, "when"), i), "key"),
        `${k} is currently not supported with CUSTOM action`,
      );
    }
  });
}

function checkSource(report: Report, path: string, src: Source, i: number): boolean {
  // The CRD's CEL rule tests presence (`has(...)`), so an empty list counts too.
  const has = (f: keyof Source) => src[f] !== undefined;
  if (
    (has("principals") || has("notPrincipals") || has("namespaces") || has("notNamespaces")) &&
    (has("serviceAccounts") || has("notServiceAccounts"))
  ) {
    report.error(
      path,
      `cannot set serviceAccounts with namespaces or principals, found at rule ${i}`,
    );
  }
  if (Object.values(src).every(v => (v ?? []).length === 0))
    report.error(path, `\`from.source\` must not be empty, found at rule ${i}`);
  for (const f of ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"] as const) {
    report.check(at(path, f), checkNonEmpty(title(f), src[f] ?? []) ?? checkIPs(src[f] ?? []));
  }
  for (const f of [
    "principals",
    "requestPrincipals",
    "namespaces",
    "notPrincipals",
    "notRequestPrincipals",
    "notNamespaces",
  ] as const) {
    report.check(at(path, f), checkNonEmpty(title(f), src[f] ?? []));
  }
  for (const f of ["serviceAccounts", "notServiceAccounts"] as const)
    report.check(at(path, f), checkServiceAccounts(title(f), src[f] ?? []));
  for (const f of ["trustDomains", "notTrustDomains"] as const)
    report.check(at(path, f), checkTrustDomains(title(f), src[f] ?? []));
  // Any of these can be enforced on plain TCP; the rest (request principals) need HTTP.
  const tcpFields = [
    "principals",
    "notPrincipals",
    "ipBlocks",
    "notIpBlocks",
    "namespaces",
    "notNamespaces",
    "remoteIpBlocks",
    "notRemoteIpBlocks",
    "serviceAccounts",
    "notServiceAccounts",
  ] as const;
  return tcpFields.some(f => src[f] !== undefined);
}

function checkRule(report: Report, path: string, rule: Rule, i: number, action: string): void {
  let fromExists = false;
  let toExists = false;
  let tcpInFrom = false;
  let tcpInTo = false;
  (rule.from ?? []).forEach((f, j) => {
    const p = idx(at(path, "from"), j);
    if (f.source === undefined) {
      report.error(at(p, "source"), `\`from.source\` must not be nil, found at rule ${i}`);
      return;
    }
    fromExists = true;
    tcpInFrom = checkSource(report, at(p, "source"), f.source, i) || tcpInFrom;
  });
  (rule.to ?? []).forEach((t, j) => {
    const p = idx(at(path, "to"), j);
    const op = t.operation;
    if (op === undefined) {
      report.error(at(p, "operation"), `\`to.operation\` must not be nil, found at rule ${i}`);
      return;
    }
    toExists = true;
    const o = at(p, "operation");
    if (Object.values(op).every(v => (v ?? []).length === 0))
      report.error(o, `\`to.operation\` must not be empty, found at rule ${i}`);
    for (const f of ["ports", "notPorts"] as const)
      report.check(at(o, f), checkNonEmpty(title(f), op[f] ?? []) ?? checkPortValues(op[f] ?? []));
    for (const f of ["methods", "hosts", "notMethods", "notHosts"] as const)
      report.check(at(o, f), checkNonEmpty(title(f), op[f] ?? []));
    for (const f of ["paths", "notPaths"] as const) {
      report.check(
        at(o, f),
        checkNonEmpty(title(f), op[f] ?? []) ?? checkPathTemplates(title(f), op[f] ?? []),
      );
    }
    if (op.ports !== undefined || op.notPorts !== undefined) tcpInTo = true;
  });
  (rule.when ?? []).forEach((c, j) => {
    const p = idx(at(path, "when"), j);
    if (c.key === "") {
      report.error(at(p, "key"), "`key` must not be empty");
      return;
    }
    if ((c.values ?? []).length === 0 && (c.notValues ?? []).length === 0) {
      report.error(p, `at least one of \`values\` or \`notValues\` must be set for key ${c.key}`);
      return;
    }
    const keyError = checkAttributeKey(c.key);
    if (keyError) {
      report.error(at(p, "key"), `invalid \`key\` ${c.key}: ${keyError}`);
      return;
    }
    const v = checkAttributeValues(c.key, c.values ?? []);
    if (v) report.error(at(p, "values"), `invalid \`value\` for \`key\` ${c.key}: ${v}`);
    const nv = checkAttributeValues(c.key, c.notValues ?? []);
    if (nv) report.error(at(p, "notValues"), `invalid \`notValue\` for \`key\` ${c.key}: ${nv}`);
  });
  // On a TCP port, HTTP-only attributes cannot be evaluated, and a DENY rule then denies it all.
  if (action === "DENY" && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo))) {
    report.warn(
      path,
      "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port",
    );
  }
}

/**
 * Whether a policy has no rules. Istio reads the spec through protojson, where an empty list
 * (`rules: []`) is the same as no list at all; likewise `from: []` and `to: []` are no
 * condition, never an error.
 */
function noRules(rules: readonly Rule[] | undefined): boolean {
  return rules === undefined || rules.length === 0;
}

/** The semantic rules of an AuthorizationPolicy spec. */
export function checkAuthorizationPolicySpec(spec: AuthorizationPolicySpec, ctx: Context): void {
  const { report } = ctx;
  const action = spec.action ?? "ALLOW";
  checkPolicyTargets(report, spec);
  if (action === "CUSTOM") {
    if (noRules(spec.rules)) report.error("spec.rules", `CUSTOM action ${EMPTY_RULES}`);
    else if (!spec.provider?.name)
      report.error("spec.provider.name", "`provider.name` must not be empty");
    (spec.rules ?? []).forEach((r, i) => checkCustomRule(report, idx("spec.rules", i), r));
  }
  if (spec.provider !== undefined && action !== "CUSTOM") {
    report.error(
      "spec.provider",
      `\`provider\` must not be with non CUSTOM action, found ${action}`,
    );
  }
  if (action === "DENY" && noRules(spec.rules))
    report.error("spec.rules", `DENY action ${EMPTY_RULES}`);
  (spec.rules ?? []).forEach((r, i) => checkRule(report, idx("spec.rules", i), r, i, action));
}

/** Validates an AuthorizationPolicy object. */
export function validateAuthorizationPolicy(
  obj: unknown,
  options?: ValidateOptions,
): ValidationResult {
  return runValidator("AuthorizationPolicy", checkAuthorizationPolicySpec, obj, options);
}
