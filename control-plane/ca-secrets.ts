import { K8s, kind } from "kubernetes-fluent-client";

/**
 * Where the CA's Secrets live, behind an interface so the bootstrap's decisions (plug-in or
 * self-signed, create-if-absent races) are tested without an API server.
 */

/** The control plane's namespace (Pepr's). */
export const CONTROL_PLANE_NAMESPACE = "pepr-system";
/** Istio's plug-in CA Secret (https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/). */
export const PLUGIN_CA_SECRET = "cacerts";
/** Where a generated self-signed root is kept, so a restart signs with the same root. */
export const SELF_SIGNED_CA_SECRET = "rigging-ca";

/** Reads and creates Secrets in the control plane's namespace. */
export interface CaSecretStore {
  /** The namespace, for messages. */
  readonly namespace: string;
  /** The Secret's `data` (base64 values), or undefined when the Secret does not exist. */
  read(name: string): Promise<Record<string, string> | undefined>;
  /**
   * Creates the Secret unless one of that name exists: "created" when this call made it,
   * "exists" when another writer got there first (the API server's 409 makes it atomic).
   */
  createIfAbsent(name: string, data: Record<string, string>): Promise<"created" | "exists">;
}

/** A {@link CaSecretStore} on the cluster in KUBECONFIG (or the in-cluster config). */
export function kubernetesCaSecretStore(namespace = CONTROL_PLANE_NAMESPACE): CaSecretStore {
  return {
    namespace,
    async read(name) {
      try {
        const secret = await K8s(kind.Secret).InNamespace(namespace).Get(name);
        return secret.data ?? {};
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new Error(`Secret ${namespace}/${name}: read failed${httpStatus(err)}`);
      }
    },
    async createIfAbsent(name, data) {
      try {
        await K8s(kind.Secret).Create({
          metadata: {
            name,
            namespace,
            labels: { "app.kubernetes.io/managed-by": "rigging" },
          },
          type: "Opaque",
          data,
        });
        return "created";
      } catch (err) {
        if (statusOf(err) === 409) return "exists";
        // Not the error object: kubernetes-fluent-client's error carries the request payload's
        // context, and this payload is a private key.
        throw new Error(`Secret ${namespace}/${name}: create failed${httpStatus(err)}`);
      }
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { status?: number } | undefined)?.status;
}

function httpStatus(err: unknown): string {
  const status = statusOf(err);
  return status ? ` (HTTP ${status})` : "";
}
