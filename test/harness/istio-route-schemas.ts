/**
 * The route schemas of Istio's VirtualService CRD (`../shared/istio/.../crd-all.gen.yaml`), per
 * served version, so tables keyed by route field can be held against Istio's own field list.
 */
import { istioCrds, type Schema } from "../constructs/istio-crd-schema";

/** A route section of the VirtualService spec. */
export type RouteSection = "http" | "tcp" | "tls";

/** The properties of one `spec.<section>[]` item in one served version. */
export interface RouteSchema {
  readonly version: string;
  readonly properties: Readonly<Record<string, Schema>>;
}

/** The route item properties of `section` in every served VirtualService version. */
export function istioRouteSchemas(section: RouteSection): RouteSchema[] {
  const crd = istioCrds().find(
    c => c.spec.group === "networking.istio.io" && c.spec.names.kind === "VirtualService",
  );
  if (!crd) throw new Error("crd-all.gen.yaml has no networking.istio.io VirtualService");
  return crd.spec.versions
    .filter(v => v.served)
    .map(v => {
      const spec = (v.schema.openAPIV3Schema.properties as Record<string, Schema>).spec!;
      const route = (spec.properties as Record<string, Schema>)[section]!;
      return {
        version: v.name,
        properties: (route.items as Schema).properties as Record<string, Schema>,
      };
    });
}
