/**
 * The resource set the xDS load generator serves: `services` outbound services, each with an EDS
 * cluster, its endpoints, a client listener and a route (the proxyless-gRPC shape), in
 * generations so a change touches exactly one resource of one type.
 */
import { createSnapshot, type Snapshot } from "../../xds/cache/snapshot";
import type { ResourceObject } from "../../xds/encode/encode-resource";
import {
  clientListener,
  edsCluster,
  endpoints,
  weightedRoute,
} from "../../test/harness/xds-resources";

/** Which resource of service 0 differs from generation 0, and by how much. */
export interface MeshGeneration {
  /** Route weight shift (RDS change). */
  readonly route: number;
  /** Endpoint port shift (EDS-only change). */
  readonly endpoint: number;
  /** Cluster connect-timeout shift (CDS change). */
  readonly cluster: number;
}

/** Names of service `i`'s resources. */
export function serviceNames(i: number): { host: string; cluster: string; route: string } {
  const host = `svc-${i}.bench.svc.cluster.local:80`;
  return { host, cluster: `outbound|80||svc-${i}.bench.svc.cluster.local`, route: `route-${i}` };
}

/** Every resource object of the mesh at `generation`. */
export function meshObjects(services: number, generation: MeshGeneration): ResourceObject[] {
  const objects: ResourceObject[] = [];
  for (let i = 0; i < services; i++) {
    const { host, cluster, route } = serviceNames(i);
    const shift = (n: number) => (i === 0 ? n : 0);
    objects.push(
      clientListener(host, route),
      weightedRoute(route, host, { [cluster]: 100 - (shift(generation.route) % 100) || 100 }),
      { ...edsCluster(cluster), connect_timeout: { seconds: 1 + shift(generation.cluster) } },
      endpoints(cluster, [9000 + shift(generation.endpoint), 9100 + i, 9200 + i]),
    );
  }
  return objects;
}

/** The snapshot of the mesh at `generation`; throws if it does not build (a bench bug). */
export function meshSnapshot(services: number, generation: MeshGeneration): Snapshot {
  const result = createSnapshot(meshObjects(services, generation));
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}
