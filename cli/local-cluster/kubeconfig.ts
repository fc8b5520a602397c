import { stringify } from "yaml";

/** What a kubeconfig for one local cluster and one client certificate holds. */
export interface KubeconfigInput {
  name: string;
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * A kubeconfig with the cluster CA inlined (`certificate-authority-data`):
 * kubernetes-fluent-client ignores `insecure-skip-tls-verify`, so trust must be explicit.
 */
export function renderKubeconfig(input: KubeconfigInput): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: input.name,
        cluster: { server: input.server, "certificate-authority-data": b64(input.caPem) },
      },
    ],
    users: [
      {
        name: `${input.name}-admin`,
        user: {
          "client-certificate-data": b64(input.certPem),
          "client-key-data": b64(input.keyPem),
        },
      },
    ],
    contexts: [{ name: input.name, context: { cluster: input.name, user: `${input.name}-admin` } }],
    "current-context": input.name,
  });
}
