import { K8s, kind } from "kubernetes-fluent-client";
import type { ControlPlaneLogger } from "./logger";

/**
 * Publishing the mesh's roots as Istio does (istio/istio `pilot/pkg/keycertbundle` and the
 * namespace controller): ConfigMap `istio-ca-root-cert`, key `root-cert.pem`, in every namespace,
 * which injected pods mount at `/var/run/secrets/istio`.
 */

/** The ConfigMap's name. */
export const ROOT_CERT_CONFIGMAP = "istio-ca-root-cert";
/** The key holding the PEM bundle. */
export const ROOT_CERT_KEY = "root-cert.pem";
/** Annotation naming the control-plane replica (its Lease identity) that last wrote the roots. */
export const PUBLISHED_BY_ANNOTATION = "rigging.io/published-by";

/** Writes and reads the ConfigMaps; an interface so the publisher is tested without a cluster. */
export interface RootCertWriter {
  /** Creates or updates the ConfigMap in `namespace` to hold `bundle`, written by `publishedBy`. */
  write(namespace: string, bundle: string, publishedBy?: string): Promise<void>;
  /** The bundle currently published in `namespace`, if any. */
  read(namespace: string): Promise<string | undefined>;
  /** Names of namespaces that are not being deleted. */
  activeNamespaces(): Promise<string[]>;
}

/** A {@link RootCertWriter} on the cluster, by server-side apply (idempotent, no read first). */
export const kubernetesRootCertWriter: RootCertWriter = {
  async write(namespace, bundle, publishedBy) {
    await K8s(kind.ConfigMap).Apply(
      {
        metadata: {
          name: ROOT_CERT_CONFIGMAP,
          namespace,
          labels: { "istio.io/config": "true", "app.kubernetes.io/managed-by": "rigging" },
          ...(publishedBy ? { annotations: { [PUBLISHED_BY_ANNOTATION]: publishedBy } } : {}),
        },
        data: { [ROOT_CERT_KEY]: bundle },
      },
      { force: true },
    );
  },
  async read(namespace) {
    try {
      const cm = await K8s(kind.ConfigMap).InNamespace(namespace).Get(ROOT_CERT_CONFIGMAP);
      return cm.data?.[ROOT_CERT_KEY];
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  },
  async activeNamespaces() {
    const list = await K8s(kind.Namespace).Get();
    return list.items.filter(isActiveNamespace).map(ns => ns.metadata!.name!);
  },
};

/** Whether a namespace can still take new objects (not Terminating). */
export function isActiveNamespace(ns: kind.Namespace): boolean {
  return (
    !!ns.metadata?.name && !ns.metadata.deletionTimestamp && ns.status?.phase !== "Terminating"
  );
}

/**
 * Who may publish. With replicas, only the Lease holder writes (`leader-elector.ts`): replicas
 * that started at different times may hold different bundles (one still retiring a root the
 * other never saw), and two writers would undo each other through the repair watch.
 */
export interface PublishGate {
  /** Whether this process publishes now. */
  mayPublish(): boolean;
  /** The name written in {@link PUBLISHED_BY_ANNOTATION}. */
  publishedBy(): string | undefined;
}

/** Keeps `istio-ca-root-cert` current in every namespace. */
export class RootCertPublisher {
  readonly #writer: RootCertWriter;
  readonly #logger: ControlPlaneLogger;
  readonly #bundle: () => string;
  readonly #gate: PublishGate | undefined;

  /**
   * `bundle` returns the current bundle ("" while there is none: nothing is written); without a
   * `gate` this process always publishes (a single control plane).
   */
  constructor(
    bundle: () => string,
    writer: RootCertWriter,
    logger: ControlPlaneLogger,
    gate?: PublishGate,
  ) {
    this.#bundle = bundle;
    this.#writer = writer;
    this.#logger = logger;
    this.#gate = gate;
  }

  /** Publishes the current bundle in one namespace (a new namespace, or a ConfigMap edited away). */
  async publishTo(namespace: string): Promise<boolean> {
    const bundle = this.#bundle();
    if (!bundle || this.#gate?.mayPublish() === false) return false;
    try {
      await this.#writer.write(namespace, bundle, this.#gate?.publishedBy());
      return true;
    } catch (err) {
      this.#logger.warn(
        { namespace, configMap: ROOT_CERT_CONFIGMAP, status: (err as { status?: number }).status },
        `ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP}: could not publish the root certificate`,
      );
      return false;
    }
  }

  /** Re-asserts the bundle in `namespace` if the published copy differs (edited or deleted). */
  async repair(namespace: string, published: string | undefined): Promise<boolean> {
    const bundle = this.#bundle();
    if (!bundle || published === bundle) return false;
    return this.publishTo(namespace);
  }

  /** Publishes the current bundle in every active namespace (after the roots changed). */
  async publishEverywhere(): Promise<{ written: number; failed: number }> {
    if (this.#gate?.mayPublish() === false) return { written: 0, failed: 0 };
    const namespaces = await this.#writer.activeNamespaces();
    const results = await Promise.all(namespaces.map(ns => this.publishTo(ns)));
    const written = results.filter(Boolean).length;
    const failed = results.length - written;
    this.#logger.info(
      { configMap: ROOT_CERT_CONFIGMAP, written, failed },
      "published the mesh root certificate to every namespace",
    );
    return { written, failed };
  }
}
