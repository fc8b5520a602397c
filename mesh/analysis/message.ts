/**
 * Analysis messages as `istioctl analyze` prints them: a level, an Istio message code, the
 * object (and where it was read), and a sentence. Codes and templates are Istio's own
 * (pkg/config/analysis/msg/messages.yaml), so users can look them up in Istio's docs.
 */

/** How serious a finding is; `Error` makes `rig analyze` exit non-zero. */
export type Level = "Error" | "Warning" | "Info";

/** Levels from most to least serious. */
export const LEVELS: readonly Level[] = ["Error", "Warning", "Info"];

/** The Istio message types Rigging's analyzers emit, with their code and default level. */
export const MESSAGE_TYPES = {
  ReferencedResourceNotFound: { code: "IST0101", level: "Error" },
  SchemaValidationError: { code: "IST0106", level: "Error" },
  ConflictingMeshGatewayVirtualServiceHosts: { code: "IST0109", level: "Error" },
  MTLSPolicyConflict: { code: "IST0113", level: "Error" },
  NoMatchingWorkloadsFound: { code: "IST0127", level: "Warning" },
  VirtualServiceUnreachableRule: { code: "IST0130", level: "Warning" },
  VirtualServiceIneffectiveMatch: { code: "IST0131", level: "Info" },
  SchemaWarning: { code: "IST0133", level: "Warning" },
} as const satisfies Record<string, { code: string; level: Level }>;

/** The name of a message type. */
export type MessageType = keyof typeof MESSAGE_TYPES;

/** The object a message is about. */
export interface Origin {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Where the object was read: `file.yaml:12`, `-:3` for stdin; absent for the cluster. */
  readonly source?: string;
}

/** One finding. */
export interface AnalysisMessage {
  readonly level: Level;
  readonly code: string;
  readonly type: MessageType;
  readonly origin: Origin;
  readonly message: string;
  readonly documentationUrl: string;
}

/** Makes a message of `type` about `origin`. */
export function makeMessage(type: MessageType, origin: Origin, message: string): AnalysisMessage {
  const { code, level } = MESSAGE_TYPES[type];
  return {
    level,
    code,
    type,
    origin,
    message,
    documentationUrl: `https://istio.io/latest/docs/reference/config/analysis/${code.toLowerCase()}/`,
  };
}

/** `Kind namespace/name`, with the source location when known. */
export function originText(origin: Origin): string {
  const ref = `${origin.kind} ${origin.namespace}/${origin.name}`;
  return origin.source ? `${ref} ${origin.source}` : ref;
}

/** One line as `istioctl analyze` prints it: `Error [IST0101] (VirtualService ns/name) ...`. */
export function formatMessage(m: AnalysisMessage): string {
  return `${m.level} [${m.code}] (${originText(m.origin)}) ${m.message}`;
}

/** Go's `%q` for the strings these messages quote. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Sorts messages by level (errors first), then object, then code, and drops exact duplicates. */
export function sortMessages(messages: readonly AnalysisMessage[]): AnalysisMessage[] {
  const rank = (l: Level) => LEVELS.indexOf(l);
  const seen = new Set<string>();
  return [...messages]
    .sort(
      (a, b) =>
        rank(a.level) - rank(b.level) ||
        originText(a.origin).localeCompare(originText(b.origin)) ||
        a.code.localeCompare(b.code) ||
        a.message.localeCompare(b.message),
    )
    .filter(m => {
      const key = formatMessage(m);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
