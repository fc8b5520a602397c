/**
 * One-line summaries of AuthorizationPolicy rules for `rig authz check`: the fields a rule sets,
 * in the order Istio documents them (from, to, when), values as written.
 */
import type { Rule } from "../api/authorization-policy";
import type { AuthzPolicyInput } from "./policy-input";

type Fields = Readonly<Record<string, readonly string[] | undefined>>;

function fields(o: Fields | undefined): string[] {
  return Object.entries(o ?? {})
    .filter((e): e is [string, readonly string[]] => Array.isArray(e[1]) && e[1].length > 0)
    .map(([k, v]) => `${k}=[${v.join(",")}]`);
}

/** `from principals=[a] | namespaces=[b]; to methods=[GET]; when request.headers[x]=[y]`. */
export function summarizeRule(rule: Rule): string {
  const parts: string[] = [];
  const from = (rule.from ?? []).map(f => fields(f.source).join(" ")).filter(s => s !== "");
  if (from.length > 0) parts.push(`from ${from.join(" | ")}`);
  const to = (rule.to ?? []).map(t => fields(t.operation).join(" ")).filter(s => s !== "");
  if (to.length > 0) parts.push(`to ${to.join(" | ")}`);
  const when = (rule.when ?? []).map(c =>
    [
      c.values?.length ? `${c.key}=[${c.values.join(",")}]` : "",
      c.notValues?.length ? `${c.key}!=[${c.notValues.join(",")}]` : "",
    ]
      .filter(s => s !== "")
      .join(" "),
  );
  if (when.length > 0) parts.push(`when ${when.join(" ")}`);
  return parts.length > 0 ? parts.join("; ") : "any request";
}

/** Each rule's summary; a policy without rules matches nothing (for ALLOW: allows nothing). */
export function summarizeRules(policy: AuthzPolicyInput): string[] {
  const rules = policy.spec.rules ?? [];
  if (rules.length === 0) return ["no rules: matches nothing"];
  return rules.map((r, i) => `[${i}] ${summarizeRule(r)}`);
}
