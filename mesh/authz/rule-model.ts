/**
 * What one AuthorizationPolicy rule means: every `from` becomes a principal, every `to` a
 * permission, each an AND-list of attributes with their values, and each `when` condition joins
 * all principals or all permissions, depending on which side its attribute lives (a rule matches
 * when any permission and any principal match). `rig authz check` evaluates this model
 * (`explain.ts`); `xds/compile/security/rbac-policy.ts` turns it into an Envoy RBAC policy.
 *
 * @see istio/istio pilot/pkg/security/authz/model/model.go
 */
import type { Rule } from "../api/authorization-policy";
import { ATTRIBUTES, conditionAttribute, type Attribute } from "./attributes";
import {
  expandTrustDomainAliases,
  replaceTrustDomainAliases,
  type TrustDomainBundle,
} from "./trust-domain";

/** One attribute of a rule with its values, where they came from, and which attribute it is. */
export interface AttributeMatch {
  readonly key: string;
  readonly values: readonly string[];
  readonly notValues: readonly string[];
  /** Field path of `values`, e.g. `spec.rules[0].from[1].source.principals`. */
  readonly valuesPath: string;
  /** Field path of `notValues`. */
  readonly notValuesPath: string;
  readonly attribute: Attribute;
}

/** A rule in model form: one AND-list of attributes per principal and per permission. */
export interface RuleModel {
  /** The policy's namespace: a `serviceAccounts` value without `ns/` is in it. */
  readonly namespace: string;
  readonly permissions: readonly (readonly AttributeMatch[])[];
  readonly principals: readonly (readonly AttributeMatch[])[];
}

/** Why a rule could not be turned into a policy: the field path and the rule broken. */
export interface RuleProblem {
  readonly path: string;
  readonly message: string;
}

/** Keys the Istio source/operation fields map to (the `when` keys of the same meaning). */
const SOURCE_FIELDS = [
  // Istio inserts each at the front, so the last listed here ends up first in the AND-list.
  ["ipBlocks", "notIpBlocks", "source.ip"],
  ["remoteIpBlocks", "notRemoteIpBlocks", "remote.ip"],
  ["namespaces", "notNamespaces", "source.namespace"],
  ["trustDomains", "notTrustDomains", "source.trustDomain"],
  ["serviceAccounts", "notServiceAccounts", "source.serviceAccount"],
  ["requestPrincipals", "notRequestPrincipals", "request.auth.principal"],
  ["principals", "notPrincipals", "source.principal"],
] as const;

const OPERATION_FIELDS = [
  ["ports", "notPorts", "destination.port"],
  ["paths", "notPaths", "path-matcher"],
  ["methods", "notMethods", ":method"],
  ["hosts", "notHosts", ":authority"],
] as const;

function sourceAttribute(key: string): Attribute {
  switch (key) {
    case "source.ip":
      return ATTRIBUTES.sourceIp;
    case "remote.ip":
      return ATTRIBUTES.remoteIp;
    case "source.namespace":
      return ATTRIBUTES.sourceNamespace;
    case "source.trustDomain":
      return ATTRIBUTES.sourceTrustDomain;
    case "source.serviceAccount":
      return ATTRIBUTES.serviceAccount;
    case "request.auth.principal":
      return ATTRIBUTES.requestPrincipal;
    default:
      return ATTRIBUTES.sourcePrincipal;
  }
}

function operationAttribute(key: string): Attribute {
  switch (key) {
    case "destination.port":
      return ATTRIBUTES.destinationPort;
    case "path-matcher":
      return ATTRIBUTES.path;
    case ":method":
      return ATTRIBUTES.method;
    default:
      return ATTRIBUTES.host;
  }
}

/**
 * The model of `rule` (policy in `policyNamespace`, at `rulePath` such as `spec.rules[2]`), or
 * the problem that makes Istio skip the whole rule (an unknown `when` key).
 */
export function ruleModel(
  rule: Rule,
  policyNamespace: string,
  rulePath: string,
): { ok: true; value: RuleModel } | { ok: false; problem: RuleProblem } {
  const basePermission: AttributeMatch[] = [];
  const basePrincipal: AttributeMatch[] = [];
  for (const [i, when] of (rule.when ?? []).entries()) {
    const attribute = conditionAttribute(when.key);
    const at = `${rulePath}.when[${i}]`;
    if (!attribute)
      return {
        ok: false,
        problem: { path: `${at}.key`, message: `unknown attribute ${when.key}` },
      };
    const values = when.values ?? [];
    const notValues = when.notValues ?? [];
    if (values.length === 0 && notValues.length === 0) continue;
    const match = {
      key: when.key,
      values,
      notValues,
      valuesPath: `${at}.values`,
      notValuesPath: `${at}.notValues`,
      attribute,
    };
    (attribute.side === "permission" ? basePermission : basePrincipal).push(match);
  }

  const principals = (rule.from ?? []).map((from, j) => {
    const merged = [...basePrincipal];
    const source = from.source ?? {};
    for (const [field, notField, key] of SOURCE_FIELDS) {
      const values = source[field] ?? [];
      const notValues = source[notField] ?? [];
      if (values.length === 0 && notValues.length === 0) continue;
      const at = `${rulePath}.from[${j}].source`;
      merged.unshift({
        key,
        values,
        notValues,
        valuesPath: `${at}.${field}`,
        notValuesPath: `${at}.${notField}`,
        attribute: sourceAttribute(key),
      });
    }
    return merged;
  });
  const permissions = (rule.to ?? []).map((to, j) => {
    const merged = [...basePermission];
    const operation = to.operation ?? {};
    for (const [field, notField, key] of OPERATION_FIELDS) {
      const values = operation[field] ?? [];
      const notValues = operation[notField] ?? [];
      if (values.length === 0 && notValues.length === 0) continue;
      const at = `${rulePath}.to[${j}].operation`;
      merged.unshift({
        key,
        values,
        notValues,
        valuesPath: `${at}.${field}`,
        notValuesPath: `${at}.${notField}`,
        attribute: operationAttribute(key),
      });
    }
    return merged;
  });
  return {
    ok: true,
    value: {
      namespace: policyNamespace,
      principals: principals.length > 0 ? principals : [basePrincipal],
      permissions: permissions.length > 0 ? permissions : [basePermission],
    },
  };
}

/**
 * The model with source principals and trust domains widened to the bundle's aliases.
 * @see istio/istio pilot/pkg/security/authz/model/model.go MigrateTrustDomain
 */
export function migrateTrustDomain(model: RuleModel, bundle: TrustDomainBundle): RuleModel {
  const migrate = (m: AttributeMatch): AttributeMatch => {
    if (m.key === "source.principal") {
      return {
        ...m,
        values: replaceTrustDomainAliases(bundle, m.values),
        notValues: replaceTrustDomainAliases(bundle, m.notValues),
      };
    }
    if (m.key === "source.trustDomain") {
      return {
        ...m,
        values: expandTrustDomainAliases(bundle, m.values),
        notValues: expandTrustDomainAliases(bundle, m.notValues),
      };
    }
    return m;
  };
  return { ...model, principals: model.principals.map(list => list.map(migrate)) };
}
