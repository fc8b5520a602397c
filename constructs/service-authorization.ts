/**
 * ServiceAuthorization: least-privilege access to a workload. `allowFrom` lists who may call
 * what, `denyAll` refuses everything not allowed, `requireJwt` demands a valid token (and
 * claims). Produces AuthorizationPolicies and a RequestAuthentication.
 * https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import { Lazy } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import {
  AuthorizationPolicy,
  type AuthorizationPolicySpec,
  type AuthorizationPolicySpecRules,
} from "./generated/authorization-policy";
import {
  RequestAuthentication,
  type RequestAuthenticationSpecJwtRules,
} from "./generated/request-authentication";
import { checkProp } from "./lib/errors";
import { DEFAULT_CLUSTER_DOMAIN, namespaceOf } from "./lib/hosts";
import { selectorLabels, type WorkloadTarget } from "./lib/labels";
import { validateWithMesh, type ProducedObject } from "./lib/mesh-validation";

/** A caller: a service account (its SPIFFE identity) or every workload of a namespace. */
export class Peer {
  /** Workloads running as a service account (a cdk8s-plus one, or by name and namespace). */
  public static serviceAccount(account: kplus.ServiceAccount | string, namespace?: string): Peer {
    if (typeof account === "string") return new Peer({ account, namespace });
    return new Peer({ account: account.name, namespace: namespace ?? namespaceOf(account) });
  }

  /** Every workload in a namespace. */
  public static namespace(name: string): Peer {
    return new Peer({ namespace: name });
  }

  private constructor(private readonly who: { account?: string; namespace?: string }) {}

  /** The AuthorizationPolicy source fields; `defaultNamespace` completes a bare account name. */
  public toSource(trustDomain: string, defaultNamespace: string) {
    if (this.who.account === undefined) return { namespaces: [this.who.namespace as string] };
    const ns = this.who.namespace ?? defaultNamespace;
    return { principals: [`${trustDomain}/ns/${ns}/sa/${this.who.account}`] };
  }
}

/** What a caller may do. */
export interface AllowOptions {
  /**
   * HTTP methods allowed (`GET`, `POST`, …).
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * Paths allowed; `*` works as a prefix or suffix wildcard (`/api/*`).
   * @default - any path
   */
  readonly paths?: readonly string[];
  /**
   * Ports allowed.
   * @default - any port
   */
  readonly ports?: readonly number[];
}

/** Options of {@link ServiceAuthorization.requireJwt}. */
export interface JwtOptions {
  /**
   * Accepted `aud` values.
   * @default - any audience
   */
  readonly audiences?: readonly string[];
  /**
   * Claims the token must carry, each with the values allowed (any one of them).
   * @default - no claim condition
   */
  readonly claims?: Readonly<Record<string, readonly string[]>>;
}

/** Props of {@link ServiceAuthorization}. */
export interface ServiceAuthorizationProps {
  /**
   * The workload protected: a cdk8s-plus Deployment or its pod labels.
   * @default - every workload in the namespace
   */
  readonly workload?: WorkloadTarget;
  /**
   * The trust domain in the callers' SPIFFE identities.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Prefix of the names of the policies (`<name>-allow`, `<name>-deny-all`, `<name>-jwt`).
   * @default - names cdk8s generates
   */
  readonly name?: string;
}

/** Least-privilege authorization for one workload (or a whole namespace). */
export class ServiceAuthorization extends Construct {
  private readonly selector?: { matchLabels: Record<string, string> };
  private readonly trustDomain: string;
  private readonly name?: string;
  private readonly allowRules: AuthorizationPolicySpecRules[] = [];
  private readonly jwtRules: RequestAuthenticationSpecJwtRules[] = [];
  private readonly denyRules: AuthorizationPolicySpecRules[] = [];
  private allowPolicy?: AuthorizationPolicy;
  private denyAllPolicy?: AuthorizationPolicy;
  private jwtPolicy?: AuthorizationPolicy;
  private requestAuthentication?: RequestAuthentication;

  /** @see ServiceAuthorizationProps */
  public constructor(scope: Construct, id: string, props: ServiceAuthorizationProps = {}) {
    super(scope, id);
    if (props.workload !== undefined) {
      this.selector = { matchLabels: { ...selectorLabels(this, "workload", props.workload) } };
    }
    this.trustDomain = props.trustDomain ?? DEFAULT_CLUSTER_DOMAIN;
    checkProp(this, "trustDomain", this.trustDomain === "" ? "is empty" : undefined);
    this.name = props.name;
    validateWithMesh(this, () => this.produced());
  }

  /** Allows `peers` (any of them) to call, limited to `options`. Returns this, for chaining. */
  public allowFrom(peers: Peer | readonly Peer[], options: AllowOptions = {}): this {
    const list = Array.isArray(peers) ? (peers as readonly Peer[]) : [peers as Peer];
    const prop = `allowFrom[${this.allowRules.length}]`;
    if (list.length === 0) checkProp(this, prop, "needs at least one peer");
    const ns = namespaceOf(this);
    const operation = {
      ...(options.methods ? { methods: [...options.methods] } : {}),
      ...(options.paths ? { paths: [...options.paths] } : {}),
      ...(options.ports ? { ports: options.ports.map(String) } : {}),
    };
    this.allowRules.push({
      from: list.map(p => ({ source: p.toSource(this.trustDomain, ns) })),
      ...(Object.keys(operation).length > 0 ? { to: [{ operation }] } : {}),
    });
    // An ALLOW policy with rules denies whatever no rule allows; rules are read at synth time.
    this.allowPolicy ??= this.policy("Allow", "allow", {
      action: "ALLOW",
      rules: Lazy.any({ produce: () => this.allowRules }),
    });
    return this;
  }

  /** Refuses every request no `allowFrom` rule allows (Istio's allow-nothing policy). */
  public denyAll(): this {
    // An ALLOW policy without rules matches nothing; with other ALLOW policies it is least
    // privilege: only what they allow gets through.
    this.denyAllPolicy ??= this.policy("DenyAll", "deny-all", {});
    return this;
  }

  /** Requires a valid JWT from `issuer` (keys at `jwksUri`) on every request, with claims. */
  public requireJwt(issuer: string, jwksUri: string, options: JwtOptions = {}): this {
    const prop = `requireJwt[${this.jwtRules.length}]`;
    if (issuer === "") checkProp(this, `${prop}.issuer`, "is empty");
    if (!/^https?:\/\//.test(jwksUri))
      checkProp(this, `${prop}.jwksUri`, `${JSON.stringify(jwksUri)} must be an http(s) URL`);
    this.jwtRules.push({
      issuer,
      jwksUri,
      ...(options.audiences ? { audiences: [...options.audiences] } : {}),
    });
    for (const [claim, values] of Object.entries(options.claims ?? {})) {
      if (values.length === 0)
        checkProp(this, `${prop}.claims.${claim}`, "needs at least one value");
      // Deny a request whose claim has none of the allowed values.
      this.denyRules.push({
        when: [{ key: `request.auth.claims[${claim}]`, notValues: [...values] }],
      });
    }
    if (!this.requestAuthentication) {
      this.requestAuthentication = new RequestAuthentication(this, "Jwt", {
        metadata: this.name !== undefined ? { name: `${this.name}-jwt` } : {},
        spec: { ...this.selectorSpec(), jwtRules: this.jwtRules },
      });
      // RequestAuthentication alone lets token-less requests through; this DENY refuses them.
      this.denyRules.unshift({ from: [{ source: { notRequestPrincipals: ["*"] } }] });
      this.jwtPolicy = this.policy("RequireJwt", "require-jwt", {
        action: "DENY",
        rules: this.denyRules,
      });
    }
    return this;
  }

  private selectorSpec() {
    return this.selector ? { selector: this.selector } : {};
  }

  private policy(id: string, suffix: string, spec: AuthorizationPolicySpec): AuthorizationPolicy {
    return new AuthorizationPolicy(this, id, {
      metadata: this.name !== undefined ? { name: `${this.name}-${suffix}` } : {},
      spec: { ...this.selectorSpec(), ...spec },
    });
  }

  private produced(): ProducedObject[] {
    const out: ProducedObject[] = [];
    if (this.allowPolicy) {
      const rules = this.allowRules.map((_, i) => [`spec.rules[${i}]`, `allowFrom[${i}]`] as const);
      out.push({ object: this.allowPolicy, props: [...rules, ["spec.selector", "workload"]] });
    }
    if (this.denyAllPolicy)
      out.push({ object: this.denyAllPolicy, props: [["spec.selector", "workload"]] });
    if (this.requestAuthentication) {
      const rules = this.jwtRules.map(
        (_, i) => [`spec.jwtRules[${i}]`, `requireJwt[${i}]`] as const,
      );
      out.push({
        object: this.requestAuthentication,
        props: [...rules, ["spec.selector", "workload"]],
      });
    }
    if (this.jwtPolicy) out.push({ object: this.jwtPolicy, props: [["spec", "requireJwt"]] });
    return out;
  }
}
