/**
 * The Envoy messages the authorization builders produce, in protobufjs object form: proto field
 * names (snake_case), `Any` payloads as `{ "@type": <type URL>, ...fields }`. Typed from the
 * generated Envoy messages (`xds/generated/envoy-types.ts`), so a misspelt field fails `tsc`; the
 * encoder check (`xds/encode/`) still proves each against Envoy's protos at run time.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type {
  AnyMessage,
  Permission as EnvoyPermission,
  Policy,
  Principal as EnvoyPrincipal,
} from "../shared/envoy";

/** `envoy.config.rbac.v3.Permission`: one oneof member set. */
export type Permission = EnvoyPermission;

/** `envoy.config.rbac.v3.Principal`: one oneof member set. */
export type Principal = EnvoyPrincipal;

/** `envoy.config.rbac.v3.Policy`, as the builders write it: both lists, no condition. */
export type RbacPolicy = Required<Pick<Policy, "permissions" | "principals">>;

/** `envoy.config.rbac.v3.RBAC.Action` names. */
export type RbacAction = "ALLOW" | "DENY" | "LOG";

/** `envoy.config.rbac.v3.RBAC`: an action and policies keyed by name (matched as a set). */
export interface RbacRules {
  readonly action: RbacAction;
  readonly policies: Readonly<Record<string, RbacPolicy>>;
}

/** An HTTP filter (`HttpConnectionManager.http_filters[]`) or a network filter (`Filter`). */
export interface NamedFilter {
  readonly name: string;
  readonly typed_config: AnyMessage;
}
