/**
 * The references a VirtualService makes: route destinations (with their subsets) and gateways,
 * each with the field path it was written at.
 */
import { routeDestinations, type AnyRoute } from "../api/route-destinations";
import type { Resource } from "./resources";
import { specOf } from "./resources";

/** A destination a route sends traffic to. */
export interface DestinationRef {
  readonly host: string;
  readonly subset?: string;
  readonly path: string;
}

const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null)
    : [];

/** Every destination of http, tcp and tls routes, mirrors included. */
export function destinationsOf(vs: Resource): DestinationRef[] {
  const spec = specOf(vs);
  const out: DestinationRef[] = [];
  for (const section of ["http", "tcp", "tls"] as const) {
    list(spec[section]).forEach((rule, i) => {
      // Not validated yet: routeDestinations reads each field defensively, so a field of the
      // wrong shape names nothing here (validation reports it).
      for (const { destination, path } of routeDestinations(rule as AnyRoute))
        out.push({
          host: destination.host,
          ...(typeof destination.subset === "string" && destination.subset !== ""
            ? { subset: destination.subset }
            : {}),
          path: `spec.${section}[${i}].${path}`,
        });
    });
  }
  return out;
}

/** A gateway a VirtualService binds to, other than the reserved `mesh`. */
export interface GatewayRef {
  /** As written. */
  readonly name: string;
  /** `namespace/name` it resolves to. */
  readonly key: string;
  readonly path: string;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

/**
 * Resolves a gateway reference as Istio does (ResolveGatewayName): `ns/name`, the legacy
 * `name.ns[.svc.cluster.local]`, or a bare name in the VirtualService's namespace.
 */
export function gatewayKey(ref: string, namespace: string): string {
  if (ref.includes("/")) return ref;
  const dot = ref.indexOf(".");
  if (dot > 0) {
    const [name, ns] = ref.split(".");
    return `${ns}/${name}`;
  }
  return `${namespace}/${ref}`;
}

/** The gateways of the VirtualService and of its route matches, except `mesh`. */
export function gatewaysOf(vs: Resource): GatewayRef[] {
  const spec = specOf(vs);
  const refs: GatewayRef[] = strings(spec.gateways).map((g, i) => ({
    name: g,
    key: gatewayKey(g, vs.namespace),
    path: `spec.gateways[${i}]`,
  }));
  for (const section of ["http", "tcp", "tls"] as const) {
    list(spec[section]).forEach((rule, i) =>
      list(rule.match).forEach((m, j) =>
        strings(m.gateways).forEach((g, k) =>
          refs.push({
            name: g,
            key: gatewayKey(g, vs.namespace),
            path: `spec.${section}[${i}].match[${j}].gateways[${k}]`,
          }),
        ),
      ),
    );
  }
  return refs.filter(r => r.name !== "mesh");
}

/** Whether the VirtualService applies to sidecars (no gateways, or `mesh` among them). */
export function boundToMesh(vs: Resource): boolean {
  const gateways = strings(specOf(vs).gateways);
  return gateways.length === 0 || gateways.includes("mesh");
}
