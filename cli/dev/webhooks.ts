import { parseAllDocuments } from "yaml";

/** A webhook configuration as `pepr build` writes it (only the fields the dev runner rewrites). */
export interface WebhookConfiguration {
  apiVersion: string;
  kind: "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration";
  metadata: { name: string; [key: string]: unknown };
  webhooks: Array<{
    name: string;
    clientConfig: { caBundle?: string; url?: string; service?: { path?: string } };
    [key: string]: unknown;
  }>;
}

/** The admission side of a built module, ready to point at a process on this machine. */
export interface DevWebhooks {
  /** The secret path segment Pepr routes admission requests under (`/mutate/<apiPath>`). */
  apiPath: string;
  configurations: WebhookConfiguration[];
}

/**
 * Reads the webhook configurations from the manifest `pepr build` wrote and rewrites each
 * webhook to call `baseUrl` directly (`url:` instead of an in-cluster Service) with `caPem`
 * trusted. Pepr's own generation stays the single source of the rules, namespaces and
 * failure policy; only where the requests go changes. Throws if the manifest has none.
 */
export function devWebhooks(manifestYaml: string, baseUrl: string, caPem: string): DevWebhooks {
  const docs = parseAllDocuments(manifestYaml).map(d => d.toJSON() as { kind?: string });
  const configurations = docs.filter(
    (d): d is WebhookConfiguration =>
      d?.kind === "MutatingWebhookConfiguration" || d?.kind === "ValidatingWebhookConfiguration",
  );
  if (configurations.length === 0) {
    throw new Error(
      "the built module manifest has no webhook configurations: is any capability binding admission actions?",
    );
  }
  let apiPath = "";
  const caBundle = Buffer.from(caPem).toString("base64");
  const rewritten = configurations.map(config => ({
    ...config,
    webhooks: config.webhooks.map(webhook => {
      const path = webhook.clientConfig.service?.path ?? "";
      const match = /^\/(?:mutate|validate)\/([^/]+)$/.exec(path);
      if (!match?.[1])
        throw new Error(`webhook ${webhook.name}: unexpected service path "${path}"`);
      apiPath = match[1];
      return { ...webhook, clientConfig: { url: `${baseUrl}${path}`, caBundle } };
    }),
  }));
  return { apiPath, configurations: rewritten };
}
