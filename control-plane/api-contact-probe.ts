import { K8s, kind } from "kubernetes-fluent-client";

/**
 * One request to the Kubernetes API server for `ApiContactMonitor` (api-contact.ts): a GET of the
 * control plane's own Namespace, through the same client (KUBECONFIG or in-cluster config) the
 * watches use, so it fails exactly when they cannot reach the server.
 */
export function kubernetesApiProbe(namespace: string): () => Promise<void> {
  return async () => {
    try {
      await K8s(kind.Namespace).Get(namespace);
    } catch (err) {
      const failure = contactFailure(err);
      if (failure !== undefined) throw new Error(failure);
    }
  };
}

/**
 * Whether what kubernetes-fluent-client threw still proves contact: any HTTP answer below 500 (a
 * 403 or 404 included) does; undefined means contact, a string says why not. The client throws
 * the response, with `status` for an answer, but also a made-up 400 carrying the transport's
 * exception in `e` when no answer came at all; a 5xx is the API server up without etcd.
 */
export function contactFailure(err: unknown): string | undefined {
  const failure = (err ?? {}) as { status?: unknown; statusText?: unknown; e?: unknown };
  if (failure.e !== undefined)
    return typeof failure.statusText === "string" ? failure.statusText : "no answer";
  const status = failure.status;
  if (typeof status === "number" && status > 0 && status < 500) return undefined;
  if (typeof status === "number" && status > 0) return `HTTP ${status}`;
  return err instanceof Error ? err.message : "request failed";
}
