/** Exit codes `rig` commands use, so that scripts can tell outcomes apart. */
export const exitCodes = {
  ok: 0,
  /** The command ran and found a problem (an error, a failed check, a component not running). */
  failure: 1,
  /** The command line was wrong: unknown flag, missing argument. */
  usage: 2,
} as const;

/**
 * Prints rows as kubectl does: upper-case headers, columns padded to the widest cell, three
 * spaces between columns.
 */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(headers.map(h => h.toUpperCase())), ...rows.map(line)].join("\n");
}

/**
 * A progress reporter for long work: each line is prefixed with the time elapsed since the
 * reporter was made, and goes to stderr so that stdout stays parseable.
 */
export function progressReporter(
  stream: NodeJS.WritableStream = process.stderr,
): (line: string) => void {
  const started = Date.now();
  return line => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    stream.write(`[${seconds}s] ${line}\n`);
  };
}

/** A one-line error for people: the message only, never a stack trace. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
