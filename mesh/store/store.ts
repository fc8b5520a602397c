/**
 * The mesh store: an immutable, indexed snapshot of what the control plane watches. `applyEvent`
 * returns a new store sharing every untouched part with the old one (see `persistent-map.ts`),
 * so a watch event costs O(change) and a compiler holding an old snapshot is never disturbed.
 *
 * Pure: no clock, no randomness, no I/O. The `revision` counts applied changes, so a caller can
 * tell snapshots apart without hashing them.
 */
import type { IstioObject, ServiceEntry, WorkloadEntry } from "../api";
import {
  CONFIG_KINDS,
  keyOf,
  SERVICE_NAME_LABEL,
  type KubeEndpointSlice,
  type KubeNamespace,
  type KubePod,
  type KubeSecret,
  type KubeService,
  type ConfigKind,
  type StoreEvent,
  type StoreObject,
} from "./kube-types";
import { emptyMap, getIn, removeIn, setIn, updateIn, type PMap } from "./persistent-map";
import { serviceFromKube, servicesFromEntry, type ServiceInfo } from "./service-model";
import { tlsSecretOf, type TlsSecret } from "./tls-secret";

/** Istio networking and security config by kind, each keyed `namespace/name`. */
export type ConfigMaps = { readonly [K in ConfigKind]: PMap<IstioObject<K>> };

/** An immutable snapshot of the mesh. */
export interface MeshStore {
  /** The cluster's DNS suffix (`cluster.local`). */
  readonly domainSuffix: string;
  /** Number of changes applied since the empty store. */
  readonly revision: number;
  readonly namespaces: PMap<KubeNamespace>;
  /** Kubernetes Services by `namespace/name`. */
  readonly services: PMap<KubeService>;
  /** EndpointSlices by `namespace/name`. */
  readonly endpointSlices: PMap<KubeEndpointSlice>;
  /** EndpointSlices by owning Service `namespace/name`, then slice `namespace/name`. */
  readonly slicesByService: PMap<PMap<KubeEndpointSlice>>;
  /** Pods by `namespace/name`. */
  readonly pods: PMap<KubePod>;
  /** Pod `namespace/name` by pod IP. */
  readonly podsByIp: PMap<string>;
  /** Pods by namespace, then `namespace/name` (ServiceEntry workload selectors scan one namespace). */
  readonly podsByNamespace: PMap<PMap<KubePod>>;
  /** WorkloadEntries by namespace, then `namespace/name`. */
  readonly workloadEntriesByNamespace: PMap<PMap<WorkloadEntry>>;
  /** TLS material of the Secrets that carry any (gateway `credentialName`), by `namespace/name`. */
  readonly tlsSecrets: PMap<TlsSecret>;
  /** Istio networking and security config. */
  readonly config: ConfigMaps;
  /** The service registry: host, then source (`Service/ns/name`, `ServiceEntry/ns/name`). */
  readonly registry: PMap<PMap<ServiceInfo>>;
  /** Whether pods annotated with a host address are reached there (see `host-address.ts`). */
  readonly hostAddresses?: boolean;
}

/** Options of a new store. */
export interface StoreOptions {
  /** @default "cluster.local" */
  readonly domainSuffix?: string;
  /**
   * Reach a pod at its `rigging.dev/host-address` annotation instead of its IP: only for a
   * control plane beside a cluster whose pods run on this host (`rig dev`).
   * @default false
   */
  readonly hostAddresses?: boolean;
}

/** The empty store. */
export function createStore(options: StoreOptions = {}): MeshStore {
  const config = Object.fromEntries(CONFIG_KINDS.map(k => [k, emptyMap()])) as ConfigMaps;
  return {
    domainSuffix: options.domainSuffix ?? "cluster.local",
    revision: 0,
    namespaces: emptyMap(),
    services: emptyMap(),
    endpointSlices: emptyMap(),
    slicesByService: emptyMap(),
    pods: emptyMap(),
    podsByIp: emptyMap(),
    podsByNamespace: emptyMap(),
    workloadEntriesByNamespace: emptyMap(),
    tlsSecrets: emptyMap(),
    config,
    registry: emptyMap(),
    ...(options.hostAddresses ? { hostAddresses: true } : {}),
  };
}

/** Sets (or with `value` undefined, removes) `inner` under `outer` in a two-level map. */
function setNested<V>(
  map: PMap<PMap<V>>,
  outer: string,
  inner: string,
  value: V | undefined,
): PMap<PMap<V>> {
  return updateIn(map, outer, bucket => {
    const base: PMap<V> = bucket ?? emptyMap<V>();
    const next = value === undefined ? removeIn(base, inner) : setIn(base, inner, value);
    return next.size === 0 ? undefined : next;
  });
}

function withRegistry(
  registry: PMap<PMap<ServiceInfo>>,
  before: readonly ServiceInfo[],
  after: readonly ServiceInfo[],
): PMap<PMap<ServiceInfo>> {
  let next = registry;
  for (const s of before) next = setNested(next, s.hostname, s.source, undefined);
  for (const s of after) next = setNested(next, s.hostname, s.source, s);
  return next;
}

function podIps(pod: KubePod | undefined): string[] {
  if (!pod) return [];
  const ips = (pod.status?.podIPs ?? []).map(p => p.ip);
  if (pod.status?.podIP && !ips.includes(pod.status.podIP)) ips.push(pod.status.podIP);
  return ips;
}

function sliceService(slice: KubeEndpointSlice | undefined): string | undefined {
  const svc = slice?.metadata.labels?.[SERVICE_NAME_LABEL];
  return slice && svc ? `${slice.metadata.namespace ?? ""}/${svc}` : undefined;
}

function applyService(store: MeshStore, key: string, next: KubeService | undefined): MeshStore {
  const prev = getIn(store.services, key);
  const before = prev ? [serviceFromKube(prev, store.domainSuffix)] : [];
  const after = next ? [serviceFromKube(next, store.domainSuffix)] : [];
  return {
    ...store,
    services: next ? setIn(store.services, key, next) : removeIn(store.services, key),
    registry: withRegistry(store.registry, before, after),
  };
}

function applySlice(store: MeshStore, key: string, next: KubeEndpointSlice | undefined): MeshStore {
  const prev = getIn(store.endpointSlices, key);
  let bySvc = store.slicesByService;
  const oldSvc = sliceService(prev);
  if (oldSvc) bySvc = setNested(bySvc, oldSvc, key, undefined);
  const newSvc = sliceService(next);
  if (newSvc && next) bySvc = setNested(bySvc, newSvc, key, next);
  return {
    ...store,
    endpointSlices: next
      ? setIn(store.endpointSlices, key, next)
      : removeIn(store.endpointSlices, key),
    slicesByService: bySvc,
  };
}

function applyPod(store: MeshStore, key: string, next: KubePod | undefined): MeshStore {
  const prev = getIn(store.pods, key);
  let byIp = store.podsByIp;
  for (const ip of podIps(prev)) if (getIn(byIp, ip) === key) byIp = removeIn(byIp, ip);
  for (const ip of podIps(next)) byIp = setIn(byIp, ip, key);
  const ns = (next ?? prev)?.metadata.namespace ?? "";
  return {
    ...store,
    pods: next ? setIn(store.pods, key, next) : removeIn(store.pods, key),
    podsByIp: byIp,
    podsByNamespace: setNested(store.podsByNamespace, ns, key, next),
  };
}

/**
 * Keeps only a Secret's parsed TLS material; a Secret without TLS keys is not kept (and one
 * that lost them is dropped), so the cluster's other Secrets never reach the store. Returns
 * `store` itself when nothing changes, so a non-TLS Secret costs no push.
 */
function applySecret(store: MeshStore, key: string, next: KubeSecret | undefined): MeshStore {
  const tls = next ? tlsSecretOf(next) : undefined;
  if (!tls && getIn(store.tlsSecrets, key) === undefined) return store;
  return {
    ...store,
    tlsSecrets: tls ? setIn(store.tlsSecrets, key, tls) : removeIn(store.tlsSecrets, key),
  };
}

function applyConfig<K extends ConfigKind>(
  store: MeshStore,
  kind: K,
  key: string,
  next: IstioObject<K> | undefined,
): MeshStore {
  const map = store.config[kind] as PMap<IstioObject<K>>;
  const prev = getIn(map, key);
  const config = { ...store.config, [kind]: next ? setIn(map, key, next) : removeIn(map, key) };
  let out: MeshStore = { ...store, config };
  if (kind === "ServiceEntry") {
    out = {
      ...out,
      registry: withRegistry(
        store.registry,
        prev ? servicesFromEntry(prev as ServiceEntry) : [],
        next ? servicesFromEntry(next as ServiceEntry) : [],
      ),
    };
  } else if (kind === "WorkloadEntry") {
    const ns = (next ?? prev)?.metadata.namespace ?? "";
    out = {
      ...out,
      workloadEntriesByNamespace: setNested(
        store.workloadEntriesByNamespace,
        ns,
        key,
        next as WorkloadEntry | undefined,
      ),
    };
  }
  return out;
}

function isConfigKind(kind: string): kind is ConfigKind {
  return (CONFIG_KINDS as readonly string[]).includes(kind);
}

/**
 * Applies one watch event. ADDED and MODIFIED both upsert (a relist may replay either);
 * DELETED removes by `namespace/name`. Objects of other kinds are ignored, returning `store`.
 */
export function applyEvent(store: MeshStore, event: StoreEvent): MeshStore {
  const object: StoreObject = event.object;
  const meta = { ...object.metadata };
  if (object.kind !== "Namespace" && meta.namespace === undefined) meta.namespace = "default";
  const key = object.kind === "Namespace" ? (meta.name ?? "") : keyOf(meta);
  const normalized = { ...object, metadata: meta } as StoreObject;
  const value = event.type === "DELETED" ? undefined : normalized;
  let next: MeshStore;
  switch (object.kind) {
    case "Namespace":
      next = {
        ...store,
        namespaces: value
          ? setIn(store.namespaces, key, value as KubeNamespace)
          : removeIn(store.namespaces, key),
      };
      break;
    case "Service":
      next = applyService(store, key, value as KubeService | undefined);
      break;
    case "EndpointSlice":
      next = applySlice(store, key, value as KubeEndpointSlice | undefined);
      break;
    case "Pod":
      next = applyPod(store, key, value as KubePod | undefined);
      break;
    case "Secret":
      next = applySecret(store, key, value as KubeSecret | undefined);
      if (next === store) return store;
      break;
    default:
      if (!isConfigKind(object.kind)) return store;
      next = applyConfig(store, object.kind, key, value as IstioObject<ConfigKind> | undefined);
  }
  return { ...next, revision: store.revision + 1 };
}

/** Applies events in order. */
export function applyEvents(store: MeshStore, events: Iterable<StoreEvent>): MeshStore {
  let next = store;
  for (const event of events) next = applyEvent(next, event);
  return next;
}

/** Upserts every object (a convenience for tests, benches and an initial list). */
export function storeOf(objects: Iterable<StoreObject>, options: StoreOptions = {}): MeshStore {
  let store = createStore(options);
  for (const object of objects) store = applyEvent(store, { type: "ADDED", object });
  return store;
}
