/**
 * The structured logger the control plane writes to: pino-style `(fields, message)`, which
 * Pepr's `Log` satisfies. Fields never carry tokens, keys or certificates' private parts.
 */
export interface ControlPlaneLogger {
  /** Lifecycle: listening, authority loaded, roots published. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Unusual but handled: a refused `cacerts`, a namespace that could not be written. */
  warn(fields: Record<string, unknown>, message: string): void;
  /** A failure an operator must act on: a port that could not be bound, no authority. */
  error(fields: Record<string, unknown>, message: string): void;
  /** Per-request detail. */
  debug(fields: Record<string, unknown>, message: string): void;
}

/** A logger writing one JSON line per message to stderr (for tests and `rig` commands). */
export const jsonLinesToStderr: ControlPlaneLogger = {
  info: (fields, msg) => console.error(JSON.stringify({ level: "info", msg, ...fields })),
  warn: (fields, msg) => console.error(JSON.stringify({ level: "warn", msg, ...fields })),
  error: (fields, msg) => console.error(JSON.stringify({ level: "error", msg, ...fields })),
  debug: () => undefined,
};
