/**
 * `exportTo`: the namespaces a config object is visible to. `.` is the object's own namespace,
 * `*` every namespace, `~` nobody (ServiceEntry only). Rules from Istio's validateExportTo and
 * pkg/config/visibility.
 */
import { isDns1123Label } from "./hosts";
import { idx, type Report } from "./diagnostic";

/** Options for {@link checkExportTo}. */
export interface ExportToOptions {
  /** ServiceEntries may be exported to nobody (`~`). */
  readonly allowNone?: boolean;
  /** A DestinationRule with a workload selector may only be visible in its own namespace. */
  readonly selectorScoped?: boolean;
}

/** Checks an exportTo list of an object in `namespace`. */
export function checkExportTo(
  report: Report,
  path: string,
  namespace: string,
  exportTo: readonly string[] | undefined,
  opts: ExportToOptions = {},
): void {
  if (!exportTo || exportTo.length === 0) return;
  const seen = new Set<string>();
  exportTo.forEach((entry, i) => {
    const key = entry === "." ? namespace : entry;
    if (seen.has(key)) {
      report.error(
        idx(path, i),
        key !== entry
          ? `duplicate entries in exportTo: . and current namespace ${namespace}`
          : `duplicate entries in exportTo for entry ${entry}`,
      );
      return;
    }
    if (entry === "~" && !opts.allowNone) {
      report.error(
        idx(path, i),
        "exportTo ~ (none) is not allowed for Istio configuration objects",
      );
      return;
    }
    if (entry !== "." && entry !== "*" && entry !== "~" && !isDns1123Label(entry)) {
      report.error(
        idx(path, i),
        "only .,*, or a valid DNS 1123 label is allowed as exportTo entry",
      );
      return;
    }
    seen.add(key);
  });
  if (opts.selectorScoped && seen.size > 0) {
    if (!seen.has(namespace)) {
      report.error(
        path,
        "destination rule with workload selector cannot have exportTo beyond current namespace",
      );
    } else if (seen.size > 1) {
      report.error(
        path,
        "destination rule with workload selector cannot have multiple entries in exportTo",
      );
    }
  }
  if (seen.has("*") && exportTo.length > 1) {
    report.error(path, "cannot have both public (*) and non-public exportTo values for a resource");
  }
  if (seen.has("~") && exportTo.length > 1)
    report.error(path, "cannot export service entry to no one (~) and someone");
}
