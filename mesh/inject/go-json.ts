/**
 * JSON as Go's `encoding/json` writes Kubernetes containers: fields in struct declaration order,
 * empty fields omitted, `resources` always present. Istio stores user overrides of its containers
 * in the `proxy.istio.io/overrides` annotation in this form, so the text must match byte for byte.
 * Field orders from k8s.io/api/core/v1/types.go.
 */
import { canonicalQuantity } from "./quantity";

type Order = readonly (string | readonly [string, Order | "map" | "quantities"])[];

const HTTP_GET: Order = ["path", "port", "host", "scheme", "httpHeaders"];
const HANDLER: Order = [
  ["exec", ["command"]],
  ["httpGet", HTTP_GET],
  ["tcpSocket", ["port", "host"]],
];
const PROBE: Order = [
  ...HANDLER,
  ["grpc", ["port", "service"]],
  "initialDelaySeconds",
  "timeoutSeconds",
  "periodSeconds",
  "successThreshold",
  "failureThreshold",
  "terminationGracePeriodSeconds",
];
const SECURITY_CONTEXT: Order = [
  ["capabilities", ["add", "drop"]],
  "privileged",
  ["seLinuxOptions", "map"],
  ["windowsOptions", "map"],
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "readOnlyRootFilesystem",
  "allowPrivilegeEscalation",
  "procMount",
  ["seccompProfile", "map"],
  ["appArmorProfile", "map"],
];
const CONTAINER: Order = [
  "name",
  "image",
  "command",
  "args",
  "workingDir",
  ["ports", ["name", "hostPort", "containerPort", "protocol", "hostIP"]],
  ["envFrom", "map"],
  ["env", ["name", "value", ["valueFrom", "map"]]],
  [
    "resources",
    [
      ["limits", "quantities"],
      ["requests", "quantities"],
      ["claims", "map"],
    ],
  ],
  ["resizePolicy", "map"],
  "restartPolicy",
  [
    "volumeMounts",
    [
      "name",
      "readOnly",
      "recursiveReadOnly",
      "mountPath",
      "subPath",
      "mountPropagation",
      "subPathExpr",
    ],
  ],
  ["volumeDevices", ["name", "devicePath"]],
  ["livenessProbe", PROBE],
  ["readinessProbe", PROBE],
  ["startupProbe", PROBE],
  [
    "lifecycle",
    [
      ["postStart", [...HANDLER, ["sleep", "map"]]],
      ["preStop", [...HANDLER, ["sleep", "map"]]],
      "stopSignal",
    ],
  ],
  "terminationMessagePath",
  "terminationMessagePolicy",
  "imagePullPolicy",
  ["securityContext", SECURITY_CONTEXT],
  "stdin",
  "stdinOnce",
  "tty",
];

const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === "" ||
  v === 0 ||
  v === false ||
  (Array.isArray(v) && v.length === 0);

function sortedMap(v: unknown, quantities: boolean): unknown {
  if (Array.isArray(v)) return v.map(x => sortedMap(x, false));
  if (typeof v !== "object" || v === null)
    return quantities && typeof v === "string" ? canonicalQuantity(v) : v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map(k => [k, sortedMap(o[k], quantities)]),
  );
}

function encode(
  v: Record<string, unknown>,
  order: Order,
  keep: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of order) {
    const [key, sub] = typeof entry === "string" ? [entry, undefined] : entry;
    const val = v[key];
    if (keep.includes(key) && (val === undefined || val === null)) {
      out[key] = {};
      continue;
    }
    // SecurityContext's fields are pointers: a set false or 0 is still written.
    const pointer = order === SECURITY_CONTEXT && val !== undefined && val !== null;
    if (empty(val) && !keep.includes(key) && !pointer) continue;
    if (sub === undefined) out[key] = val;
    else if (sub === "map" || sub === "quantities") out[key] = sortedMap(val, sub === "quantities");
    else if (Array.isArray(val)) out[key] = val.map(x => encode(x as Record<string, unknown>, sub));
    else {
      const enc = encode(val as Record<string, unknown>, sub);
      if (Object.keys(enc).length || key === "resources") out[key] = enc;
    }
  }
  return out;
}

/** A container as Go would marshal it (a pointer-valued empty struct still prints as `{}`). */
export function goContainer(c: object): Record<string, unknown> {
  return encode(c as Record<string, unknown>, CONTAINER, ["name", "resources"]);
}
