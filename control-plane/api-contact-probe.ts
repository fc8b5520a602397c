import { K8s, kind } from "kubernetes-fluent-client";

/**
 * One request to the Kubernetes API server for `ApiContactMonitor` (api-contact.ts): a GET of the control
 * plane's own Namespace, through the same client (KUBECONFIG or in-cluster config) the watches
 * use, so it fails exactly when they cannot reach the server. Any HTTP answer below 500 (a 403 or
 * 404 included) proves contact; a network error, a timeout or a 5xx (the API server up without
 * etcd) does not.
 */
export function kubernetesApiProbe(namespace: string): () => Promise<void> {
  return async () => {
    try {
      await K8s(kind.Namespace).Get(namespace);
    } catch (err) {
      // kubernetes-fluent-client throws the response: `status` for an answer, but also a
      // made-up 400 with the transport's exception in `e` when no answer came at all.
      const failure = err as { status?: number; statusText?: string; e?: unknown };
      if (failure.e !== undefined) throw new Error(failure.statusText ?? "no answer");
      const status = failure.status;
      if (typeof status === "number" && status > 0 && status < 500) return;
      throw new Error(
        status ? `HTTP ${status}` : err instanceof Error ? err.message : "request failed",
      );
    }
  };
}
