/**
 * Kubernetes label keys and values, and workload selectors. Label syntax:
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 * Selector rules: Istio's validateWorkloadSelector / ValidateAlphaWorkloadSelector.
 */
import { idx, type Report } from "./diagnostic";

const NAME = /^(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PREFIX = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export function checkLabelKey(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !(PREFIX.test(prefix) && prefix.length <= 253))
    return `invalid label key: ${JSON.stringify(key)}`;
  if (!NAME.test(name) || name.length > 63) return `invalid label key: ${JSON.stringify(key)}`;
  return undefined;
}

/** A label value: empty, or at most 63 name characters. */
export function checkLabelValue(value: string): string | undefined {
  if (value === "") return undefined;
  return NAME.test(value) && value.length <= 63
    ? undefined
    : `invalid label value: ${JSON.stringify(value)}`;
}

/**
 * A label value as Istio checks one in a label map (labels.Instance.Validate): the name
 * characters, of any length. Kubernetes caps pod label values at 63 characters, but Istio does not
 * refuse a longer value in a subset, a sourceLabels match or an endpoint's labels.
 */
function checkIstioLabelValue(value: string): string | undefined {
  return value === "" || NAME.test(value)
    ? undefined
    : `invalid label value: ${JSON.stringify(value)}`;
}

/** Checks every key and value of a label map, as Istio's labels.Instance.Validate. */
export function checkLabels(
  report: Report,
  path: string,
  labels: Record<string, string> | undefined,
): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    report.check(idx(path, key), checkLabelKey(key) ?? checkIstioLabelValue(value));
  }
}

/**
 * A workload selector's labels: no empty key, no wildcard (selectors match exactly), and a
 * warning when the selector is present but empty, since it then selects every workload.
 * @param field `matchLabels` (security, DestinationRule) or `labels` (networking)
 */
export function checkSelector(
  report: Report,
  path: string,
  field: "matchLabels" | "labels",
  selector: { matchLabels?: Record<string, string>; labels?: Record<string, string> } | undefined,
  emptyWarning = "workload selector specified without labels",
): void {
  if (selector === undefined) return;
  const labels = selector[field] ?? {};
  for (const [key, value] of Object.entries(labels)) {
    const p = idx(`${path}.${field}`, key);
    if (key === "") report.error(p, `empty key is not supported in selector: "${key}=${value}"`);
    if (key.includes("*") || value.includes("*")) {
      report.error(p, `wildcard is not supported in selector: "${key}=${value}"`);
    }
  }
  if (Object.keys(labels).length === 0) report.warn(path, emptyWarning);
}
