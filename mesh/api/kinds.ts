/**
 * The Istio kinds Rigging serves: their group, names, versions and spec schema. CRDs, the
 * validator dispatcher and typed objects are all derived from this table.
 */
import { AuthorizationPolicySpec } from "./authorization-policy";
import { DestinationRuleSpec } from "./destination-rule";
import { EnvoyFilterSpec } from "./envoy-filter";
import { GatewaySpec } from "./gateway";
import { PeerAuthenticationSpec } from "./peer-authentication";
import { RequestAuthenticationSpec } from "./request-authentication";
import type { Infer, ObjectNode } from "./schema";
import { ServiceEntrySpec } from "./service-entry";
import { SidecarSpec } from "./sidecar";
import { TelemetrySpec } from "./telemetry";
import { VirtualServiceSpec } from "./virtual-service";
import { WorkloadEntrySpec } from "./workload-entry";
import { WorkloadGroupSpec } from "./workload-group";

/** The API group of networking kinds. */
export const NETWORKING_GROUP = "networking.istio.io";
/** The API group of security kinds. */
export const SECURITY_GROUP = "security.istio.io";
/** The API group of the Telemetry kind. */
export const TELEMETRY_GROUP = "telemetry.istio.io";

/** A `kubectl get` column. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "date";
  readonly jsonPath: string;
  readonly description: string;
}

/** Everything needed to serve one kind. */
export interface KindInfo {
  readonly kind: string;
  readonly group: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Served versions, newest first. */
  readonly versions: readonly string[];
  /** The one version stored in etcd. */
  readonly storageVersion: string;
  readonly printerColumns: readonly PrinterColumn[];
  readonly spec: ObjectNode;
  /** Whether the object must carry a `spec` (Istio requires it for a few kinds). */
  readonly specRequired: boolean;
}

const AGE: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};

const NETWORKING_VERSIONS = ["v1", "v1beta1", "v1alpha3"] as const;
const SECURITY_VERSIONS = ["v1", "v1beta1"] as const;

function networking<S extends ObjectNode>(
  kind: string,
  plural: string,
  spec: S,
  extra: Partial<Omit<KindInfo, "spec">> = {},
): KindInfo & { readonly spec: S } {
  return {
    kind,
    group: NETWORKING_GROUP,
    plural,
    singular: kind.toLowerCase(),
    shortNames: [],
    categories: ["istio-io", "networking-istio-io"],
    versions: NETWORKING_VERSIONS,
    storageVersion: "v1",
    printerColumns: [],
    specRequired: false,
    ...extra,
    spec,
  };
}

function security<S extends ObjectNode>(
  kind: string,
  plural: string,
  spec: S,
  extra: Partial<Omit<KindInfo, "spec">> = {},
): KindInfo & { readonly spec: S } {
  return {
    ...networking(kind, plural, spec, extra),
    group: SECURITY_GROUP,
    categories: ["istio-io", "security-istio-io"],
    versions: SECURITY_VERSIONS,
    ...extra,
    spec,
  };
}

function telemetry<S extends ObjectNode>(
  kind: string,
  plural: string,
  spec: S,
  extra: Partial<Omit<KindInfo, "spec">> = {},
): KindInfo & { readonly spec: S } {
  return {
    ...networking(kind, plural, spec, extra),
    group: TELEMETRY_GROUP,
    categories: ["istio-io", "telemetry-istio-io"],
    versions: ["v1", "v1alpha1"],
    storageVersion: "v1alpha1",
    ...extra,
    spec,
  };
}

/** The kinds, keyed by kind name. */
export const KINDS = {
  VirtualService: networking("VirtualService", "virtualservices", VirtualServiceSpec, {
    shortNames: ["vs"],
    printerColumns: [
      {
        name: "Gateways",
        type: "string",
        jsonPath: ".spec.gateways",
        description: "Gateways and sidecars applying these routes.",
      },
      {
        name: "Hosts",
        type: "string",
        jsonPath: ".spec.hosts",
        description: "Destination hosts of the routed traffic.",
      },
      AGE,
    ],
  }),
  DestinationRule: networking("DestinationRule", "destinationrules", DestinationRuleSpec, {
    shortNames: ["dr"],
    printerColumns: [
      {
        name: "Host",
        type: "string",
        jsonPath: ".spec.host",
        description: "The service the rule applies to.",
      },
      AGE,
    ],
  }),
  Gateway: networking("Gateway", "gateways", GatewaySpec, { shortNames: ["gw"] }),
  ServiceEntry: networking("ServiceEntry", "serviceentries", ServiceEntrySpec, {
    shortNames: ["se"],
    specRequired: true,
    printerColumns: [
      {
        name: "Hosts",
        type: "string",
        jsonPath: ".spec.hosts",
        description: "Hosts of the service entry.",
      },
      {
        name: "Location",
        type: "string",
        jsonPath: ".spec.location",
        description: "MESH_EXTERNAL or MESH_INTERNAL.",
      },
      {
        name: "Resolution",
        type: "string",
        jsonPath: ".spec.resolution",
        description: "How endpoints are resolved.",
      },
      AGE,
    ],
  }),
  Sidecar: networking("Sidecar", "sidecars", SidecarSpec),
  WorkloadEntry: networking("WorkloadEntry", "workloadentries", WorkloadEntrySpec, {
    shortNames: ["we"],
    specRequired: true,
    printerColumns: [
      AGE,
      {
        name: "Address",
        type: "string",
        jsonPath: ".spec.address",
        description: "Address of the workload.",
      },
    ],
  }),
  WorkloadGroup: networking("WorkloadGroup", "workloadgroups", WorkloadGroupSpec, {
    shortNames: ["wg"],
    specRequired: true,
    printerColumns: [AGE],
  }),
  EnvoyFilter: networking("EnvoyFilter", "envoyfilters", EnvoyFilterSpec, {
    versions: ["v1alpha3"],
    storageVersion: "v1alpha3",
  }),
  PeerAuthentication: security(
    "PeerAuthentication",
    "peerauthentications",
    PeerAuthenticationSpec,
    {
      shortNames: ["pa"],
      printerColumns: [
        {
          name: "Mode",
          type: "string",
          jsonPath: ".spec.mtls.mode",
          description: "The mTLS mode.",
        },
        AGE,
      ],
    },
  ),
  RequestAuthentication: security(
    "RequestAuthentication",
    "requestauthentications",
    RequestAuthenticationSpec,
    {
      shortNames: ["ra"],
    },
  ),
  AuthorizationPolicy: security(
    "AuthorizationPolicy",
    "authorizationpolicies",
    AuthorizationPolicySpec,
    {
      shortNames: ["ap"],
      printerColumns: [
        {
          name: "Action",
          type: "string",
          jsonPath: ".spec.action",
          description: "The action of the policy.",
        },
        AGE,
      ],
    },
  ),
  Telemetry: telemetry("Telemetry", "telemetries", TelemetrySpec, {
    shortNames: ["telemetry"],
    printerColumns: [AGE],
  }),
} as const satisfies Record<string, KindInfo>;

/** The name of an Istio kind Rigging serves. */
export type KindName = keyof typeof KINDS;

/** All kind names, in a stable order. */
export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** Finds a kind by `apiVersion` (group/version) and `kind`; undefined for other groups or kinds. */
export function findKind(apiVersion: unknown, kind: unknown): KindInfo | undefined {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return undefined;
  const info = (KINDS as Record<string, KindInfo>)[kind];
  if (!info || !Object.hasOwn(KINDS, kind)) return undefined;
  const [group, version] = apiVersion.split("/");
  return group === info.group && version !== undefined && info.versions.includes(version)
    ? info
    : undefined;
}

/** The spec type of kind `K`. */
export type SpecOf<K extends KindName> = Infer<(typeof KINDS)[K]["spec"]>;

/** Kubernetes object metadata as far as the mesh reads it. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** A typed Istio object of kind `K`. */
export interface IstioObject<K extends KindName = KindName> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: SpecOf<K>;
  status?: unknown;
}

/** A VirtualService object. */
export type VirtualService = IstioObject<"VirtualService">;
/** A DestinationRule object. */
export type DestinationRule = IstioObject<"DestinationRule">;
/** A Gateway object. */
export type Gateway = IstioObject<"Gateway">;
/** A ServiceEntry object. */
export type ServiceEntry = IstioObject<"ServiceEntry">;
/** A Sidecar object. */
export type Sidecar = IstioObject<"Sidecar">;
/** A WorkloadEntry object. */
export type WorkloadEntry = IstioObject<"WorkloadEntry">;
/** A WorkloadGroup object. */
export type WorkloadGroup = IstioObject<"WorkloadGroup">;
/** An EnvoyFilter object. */
export type EnvoyFilter = IstioObject<"EnvoyFilter">;
/** A PeerAuthentication object. */
export type PeerAuthentication = IstioObject<"PeerAuthentication">;
/** A RequestAuthentication object. */
export type RequestAuthentication = IstioObject<"RequestAuthentication">;
/** An AuthorizationPolicy object. */
export type AuthorizationPolicy = IstioObject<"AuthorizationPolicy">;
/** A Telemetry object. */
export type Telemetry = IstioObject<"Telemetry">;
