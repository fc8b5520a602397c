/**
 * What the mesh config parser found: errors that refuse the config and notes about settings it
 * accepted but does not act on. Each message names the object, the field path and the rule, e.g.
 * `ConfigMap istio-system/istio: data.mesh: trustDomain: must not be empty`.
 */

/** The note for a field Rigging accepts (an Istio user's config must load) but ignores. */
export const NOT_ACTED_ON = "accepted, not acted on by Rigging";

/** Collects errors and notes while the parser walks one mesh config. */
export class Findings {
  /** Errors so far; the config is refused when there is any. */
  readonly errors: string[] = [];
  /** Notes so far, each at most once. */
  readonly notes: string[] = [];

  /**
   * @param source names the object, e.g. `ConfigMap istio-system/istio`
   * @param prefix where the YAML sits inside that object, e.g. `data.mesh` (none for a bare file)
   */
  constructor(
    private readonly source: string,
    private readonly prefix = "",
  ) {}

  /** Records a broken rule at `path` (empty for the document itself). */
  error(path: string, rule: string): void {
    this.errors.push(this.format(path, rule));
  }

  /** Records a note at `path`; repeats are dropped so each field is named once. */
  note(path: string, text: string): void {
    const message = this.format(path, text);
    if (!this.notes.includes(message)) this.notes.push(message);
  }

  private format(path: string, rule: string): string {
    return [this.source, this.prefix, path, rule].filter(part => part !== "").join(": ");
  }
}

/** A value as a message shows it after "got": strings quoted, collections by their kind. */
export function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "nothing";
  return Array.isArray(value)
    ? "a list"
    : `a ${typeof value === "object" ? "mapping" : typeof value}`;
}

/** Whether `value` is a YAML mapping (a plain object once parsed). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
