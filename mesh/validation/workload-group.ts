/**
 * WorkloadGroup validation. Rules: Istio's ValidateWorkloadGroup and validateReadinessProbe.
 * The template is not checked as a WorkloadEntry: its address is filled in at registration.
 * https://istio.io/latest/docs/reference/config/networking/workload-group/
 */
import type { WorkloadGroupSpec } from "../../mesh/api/workload-group";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { checkStrictHeaderName } from "./headers";
import { checkLabels } from "./labels";
import { runValidator } from "./pipeline";
import { checkEndpointPortKey, checkPort } from "./ports";
import { checkUnixAddress, UNIX_PREFIX } from "./unix";

const PROBE_HEADER = /^[-A-Za-z0-9]+$/;

function checkProbe(report: Report, path: string, probe: WorkloadGroupSpec["probe"]): void {
  if (!probe) return;
  for (const f of [
    "periodSeconds",
    "initialDelaySeconds",
    "timeoutSeconds",
    "successThreshold",
    "failureThreshold",
  ] as const) {
    if ((probe[f] ?? 0) < 0) report.error(at(path, f), `${f} must be non-negative`);
  }
  if (probe.httpGet) {
    const p = at(path, "httpGet");
    report.check(at(p, "port"), checkPort(probe.httpGet.port));
    const scheme = probe.httpGet.scheme ?? "";
    if (scheme !== "" && scheme !== "HTTP" && scheme !== "HTTPS")
      report.error(at(p, "scheme"), 'httpGet.scheme must be one of "HTTPS", "HTTP"');
    (probe.httpGet.httpHeaders ?? []).forEach((h, i) => {
      const name = h.name ?? "";
      // Kubernetes probe header names: no underscore.
      const rule =
        checkStrictHeaderName(name) ??
        (PROBE_HEADER.test(name) ? undefined : `header name ${name} is not a valid header name`);
      report.check(at(idx(at(p, "httpHeaders"), i), "name"), rule);
    });
  } else if (probe.tcpSocket) {
    report.check(at(path, "tcpSocket.port"), checkPort(probe.tcpSocket.port));
  } else if (probe.exec) {
    if (probe.exec.command.length === 0)
      report.error(at(path, "exec.command"), "exec.command is required");
  } else if (probe.grpc) {
    report.check(at(path, "grpc.port"), checkPort(probe.grpc.port ?? 0));
  } else {
    report.error(path, "unknown health check method: set one of httpGet, tcpSocket, exec, grpc");
  }
}

/** The semantic rules of a WorkloadGroup spec. */
export function checkWorkloadGroupSpec(spec: WorkloadGroupSpec, ctx: Context): void {
  const { report } = ctx;
  checkLabels(report, "spec.metadata.labels", spec.metadata?.labels);
  const t = spec.template;
  // The CRD's own rules on the template (Istio enforces them with CEL).
  const addr = t.address ?? "";
  if (addr.startsWith(UNIX_PREFIX)) {
    report.check("spec.template.address", checkUnixAddress(addr.slice(UNIX_PREFIX.length)));
    if (t.ports !== undefined) report.error("spec.template.ports", "UDS may not include ports");
  }
  for (const [name, port] of Object.entries(t.ports ?? {})) {
    const p = idx("spec.template.ports", name);
    report.check(p, checkEndpointPortKey(name));
    report.check(p, checkPort(port));
  }
  checkProbe(report, "spec.probe", spec.probe);
}

/** Validates a WorkloadGroup object. */
export function validateWorkloadGroup(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("WorkloadGroup", checkWorkloadGroupSpec, obj, options);
}
