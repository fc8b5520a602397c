/**
 * MeshConfig's field names, and how a key written by a user maps onto one. Istio decodes the
 * mesh config with the legacy jsonpb decoder (pkg/util/protomarshal ApplyYAML), which accepts a
 * field under its JSON name (`trustDomain`) or its proto name (`trust_domain`), so both do here.
 *
 * @see istio/api mesh/v1alpha1/config.proto (message MeshConfig)
 */

/** Every field of `istio.mesh.v1alpha1.MeshConfig`, by JSON name. */
export const MESH_CONFIG_FIELDS: readonly string[] = [
  "proxyListenPort",
  "proxyInboundListenPort",
  "proxyHttpPort",
  "connectTimeout",
  "hboneIdleTimeout",
  "protocolDetectionTimeout",
  "tcpKeepalive",
  "ingressClass",
  "ingressService",
  "ingressControllerMode",
  "ingressSelector",
  "enableTracing",
  "accessLogFile",
  "accessLogFormat",
  "accessLogEncoding",
  "enableEnvoyAccessLogService",
  "disableEnvoyListenerLog",
  "defaultConfig",
  "outboundTrafficPolicy",
  "inboundTrafficPolicy",
  "configSources",
  "enableAutoMtls",
  "trustDomain",
  "trustDomainAliases",
  "caCertificates",
  "defaultServiceExportTo",
  "defaultVirtualServiceExportTo",
  "defaultDestinationRuleExportTo",
  "rootNamespace",
  "localityLbSetting",
  "zoneAwareLbSetting",
  "dnsRefreshRate",
  "h2UpgradePolicy",
  "inboundClusterStatName",
  "outboundClusterStatName",
  "certificates",
  "serviceSettings",
  "serviceScopeConfigs",
  "enablePrometheusMerge",
  "verifyCertificateAtClient",
  "ca",
  "extensionProviders",
  "defaultProviders",
  "discoverySelectors",
  "pathNormalization",
  "defaultHttpRetryPolicy",
  "meshMTLS",
  "tlsDefaults",
  "defaultTrafficPolicy",
  "serviceEntryVisibility",
];

/**
 * Fields Istio removed from MeshConfig (the proto's `reserved` names). Old configs still carry
 * them; Istio ignores them, so they get a note rather than a "did you mean".
 */
export const REMOVED_MESH_CONFIG_FIELDS: ReadonlySet<string> = new Set([
  "mixerCheckServer",
  "mixerReportServer",
  "disablePolicyChecks",
  "disableMixerHttpReports",
  "policyCheckFailOpen",
  "sidecarToTelemetrySessionAffinity",
  "authPolicy",
  "rdsRefreshDelay",
  "mixerAddress",
  "enableClientSidePolicyCheck",
  "sdsUdsPath",
  "sdsRefreshDelay",
  "enableSdsTokenMount",
  "sdsUseK8sSaJwt",
  "terminationDrainDuration",
  "disableReportBatch",
  "reportBatchMaxEntries",
  "reportBatchMaxTime",
  "fileFlushInterval",
  "fileFlushMinSize",
  "thriftConfig",
]);

/** The JSON name protobuf derives from a proto field name: `trust_domain` → `trustDomain`. */
export function jsonName(key: string): string {
  return key.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The field of `known` that `key` names (by JSON or proto name), or undefined. */
export function fieldOf(key: string, known: readonly string[]): string | undefined {
  if (known.includes(key)) return key;
  const camel = jsonName(key);
  return known.includes(camel) ? camel : undefined;
}

/** Levenshtein distance, case-insensitive: `trustdomain` is one typo from `trustDomain`. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The known field closest to a misspelt `key`, when it is at most two edits away. */
export function closestField(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(jsonName(key), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** ` (did you mean "x"?)` when a known field is close to `key`, else nothing. */
export function didYouMean(key: string, known: readonly string[]): string {
  const close = closestField(key, known);
  return close === undefined ? "" : ` (did you mean ${JSON.stringify(close)}?)`;
}
