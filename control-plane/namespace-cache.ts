/**
 * The process's Namespaces, kept by a watch, for admission. Every pod admission reads its
 * Namespace (injection labels, `rigging.dev/mesh`); a GET per webhook call was three round
 * trips to the API server per pod. Pepr runs `Watch` actions only in the watcher, and admission
 * runs in other processes, so each process that admits watches Namespaces itself, as it follows
 * the injector ConfigMaps (see injector-config-watch.ts). Constructing it does no I/O.
 */
import { K8s, kind, Log } from "pepr";

type Namespace = InstanceType<typeof kind.Namespace>;

/** Namespaces by name, from watch events; misses are read once from the API server. */
export class NamespaceCache {
  readonly #byName = new Map<string, Namespace>();

  constructor(private readonly fetch: (name: string) => Promise<Namespace>) {}

  /** Folds one watch event in. */
  readonly onEvent = (ns: Namespace, phase: string): void => {
    const name = ns.metadata?.name;
    if (!name) return;
    if (phase === "DELETED") this.#byName.delete(name);
    else this.#byName.set(name, ns);
  };

  /**
   * The Namespace `name`: the watched copy, else (before the watch has listed it, or a
   * namespace created a moment ago) read from the API server, which throws for an absent one.
   */
  async get(name: string): Promise<Namespace> {
    const known = this.#byName.get(name);
    if (known) return known;
    const read = await this.fetch(name);
    // The watch may have delivered a newer version while the read was in flight.
    if (!this.#byName.has(name)) this.#byName.set(name, read);
    return this.#byName.get(name)!;
  }
}

/** The cache admission reads; {@link watchNamespaces} feeds it. */
export const namespaces = new NamespaceCache(name => K8s(kind.Namespace).Get(name));

/** Starts the Namespace watch that keeps {@link namespaces} current. */
export function watchNamespaces(): void {
  K8s(kind.Namespace)
    .Watch(namespaces.onEvent)
    .start()
    .catch(err => Log.error({ err: String(err) }, "Namespace watch not started"));
}
