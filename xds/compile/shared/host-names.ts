/**
 * How Istio config names hosts and who sees config: pure helpers with no imports, so that the
 * proxy scope, delegation and the gateway model can all use them without importing each other.
 */

/**
 * Istio's short-name expansion: a name without dots is relative to the config's namespace
 * (`reviews` in `default` is `reviews.default.svc.cluster.local`); anything else is kept.
 */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host === "*" || host.includes(".")) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** Whether config in `configNs` with `exportTo` is visible from `proxyNs` (unset means `*`). */
export function exportedTo(
  exportTo: readonly string[] | undefined,
  configNs: string,
  proxyNs: string,
): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some(e => e === "*" || (e === "." ? configNs === proxyNs : e === proxyNs));
}
