/**
 * AuthorizationPolicy: access control on workloads.
 * https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import { PolicyTargetReference, WorkloadSelector } from "./common";
import { array, enumOf, object, req, string, type Infer } from "./schema";

const list = () => array(string());
const serviceAccounts = () => array(string({ maxLength: 320 }), { maxItems: 16 });

/** Peer and request identities a rule matches. */
export const Source = object({
  ipBlocks: list(),
  namespaces: list(),
  notIpBlocks: list(),
  notNamespaces: list(),
  notPrincipals: list(),
  notRemoteIpBlocks: list(),
  notRequestPrincipals: list(),
  notServiceAccounts: serviceAccounts(),
  notTrustDomains: list(),
  principals: list(),
  remoteIpBlocks: list(),
  requestPrincipals: list(),
  serviceAccounts: serviceAccounts(),
  trustDomains: list(),
});
/** @see Source */
export type Source = Infer<typeof Source>;

/** Request properties a rule matches. */
export const Operation = object({
  hosts: list(),
  methods: list(),
  notHosts: list(),
  notMethods: list(),
  notPaths: list(),
  notPorts: list(),
  paths: list(),
  ports: list(),
});
/** @see Operation */
export type Operation = Infer<typeof Operation>;

/** An additional condition on a request attribute. */
export const Condition = object({ key: req(string()), notValues: list(), values: list() });
/** @see Condition */
export type Condition = Infer<typeof Condition>;

/** A rule: sources, operations and conditions, all of which must match. */
export const Rule = object({
  from: array(object({ source: Source }), { maxItems: 512 }),
  to: array(object({ operation: Operation })),
  when: array(Condition),
});
/** @see Rule */
export type Rule = Infer<typeof Rule>;

/** The action of a policy. */
export const AuthorizationAction = enumOf(["ALLOW", "DENY", "AUDIT", "CUSTOM"]);

/** The AuthorizationPolicy spec. */
export const AuthorizationPolicySpec = object(
  {
    action: AuthorizationAction,
    provider: object({ name: string() }),
    rules: array(Rule, { maxItems: 512 }),
    selector: WorkloadSelector,
    targetRef: PolicyTargetReference,
    targetRefs: array(PolicyTargetReference, { maxItems: 16 }),
  },
  {
    description:
      "Configuration for access control on workloads. See https://istio.io/docs/reference/config/security/authorization-policy.html",
  },
);
/** @see AuthorizationPolicySpec */
export type AuthorizationPolicySpec = Infer<typeof AuthorizationPolicySpec>;
