/**
 * The Envoy messages the authorization builders produce, in protobufjs object form: proto field
 * names (snake_case), `Any` payloads as `{ "@type": <type URL>, ...fields }`. The encoder check
 * (`xds/encode/`) proves each against Envoy's real protos before it leaves the control plane.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type {
  AnyMessage,
  Permission as EnvoyPermission,
  Principal as EnvoyPrincipal,
} from "../shared/envoy";

/** A protobuf message in object form. Loose on purpose: the encoder check is the type system. */
export type EnvoyObject = Readonly<Record<string, unknown>>;

/** `envoy.config.rbac.v3.Permission`: one oneof member set. */
export type Permission = EnvoyPermission;

/** `envoy.config.rbac.v3.Principal`: one oneof member set. */
export type Principal = EnvoyPrincipal;

/** `envoy.config.rbac.v3.Policy`. */
export interface RbacPolicy {
  readonly permissions: readonly Permission[];
  readonly principals: readonly Principal[];
}

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
