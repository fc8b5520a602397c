/**
 * The structured logger the xDS server writes to: pino-style `(fields, message)`, which Pepr's
 * `Log` satisfies. Tests inject one that records.
 */

/** Structured log sink. */
export interface XdsLogger {
  /** Unusual but handled: NACKs, rejected requests, broken streams. */
  warn(fields: Record<string, unknown>, message: string): void;
  /** Lifecycle: listening, stopped. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Per-request detail. */
  debug(fields: Record<string, unknown>, message: string): void;
}

/** A logger that writes one JSON line per warning to stderr and drops info and debug. */
export const warningsToStderr: XdsLogger = {
  warn: (fields, message) =>
    console.warn(JSON.stringify({ level: "warn", msg: message, ...fields })),
  info: () => undefined,
  debug: () => undefined,
};
