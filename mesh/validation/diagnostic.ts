/**
 * Diagnostics: what a validator found, phrased so a user can act on it. Every diagnostic names
 * the object, the field path and the rule, e.g.
 * `VirtualService default/reviews: spec.http[0].route: total destination weight is 0`.
 */

/** Whether the object is refused (`error`) or admitted with a warning. */
export type Severity = "error" | "warning";

/** The object a diagnostic is about. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** One finding. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly object: ObjectRef;
  /** Field path from the object root, e.g. `spec.http[0].route`. */
  readonly path: string;
  /** The rule that was broken, without object or path. */
  readonly rule: string;
  /** The full text: `Kind namespace/name: path: rule`. */
  readonly message: string;
}

/** The outcome of validating one object. Refuse it when `errors` is not empty. */
export interface ValidationResult {
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
}

/** Formats the full message of a diagnostic. */
export function formatDiagnostic(object: ObjectRef, path: string, rule: string): string {
  return `${object.kind} ${object.namespace}/${object.name}: ${path}: ${rule}`;
}

/** Collects diagnostics for one object while a validator walks it. */
export class Report {
  /** Errors found so far. */
  readonly errors: Diagnostic[] = [];
  /** Warnings found so far. */
  readonly warnings: Diagnostic[] = [];

  /** @param object the object being validated */
  constructor(readonly object: ObjectRef) {}

  /** Records a rule violation that makes the object invalid. */
  error(path: string, rule: string): void {
    this.errors.push(this.make("error", path, rule));
  }

  /** Records a questionable setting that is still admitted. */
  warn(path: string, rule: string): void {
    this.warnings.push(this.make("warning", path, rule));
  }

  /** Records `rule` as an error when it is a string (helpers return undefined when fine). */
  check(path: string, rule: string | undefined): boolean {
    if (rule !== undefined) this.error(path, rule);
    return rule === undefined;
  }

  /** The result so far. */
  result(): ValidationResult {
    return { errors: [...this.errors], warnings: [...this.warnings] };
  }

  private make(severity: Severity, path: string, rule: string): Diagnostic {
    return {
      severity,
      object: this.object,
      path,
      rule,
      message: formatDiagnostic(this.object, path, rule),
    };
  }
}

/** Appends a property name to a path. */
export function at(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Appends a list index or map key to a path. */
export function idx(path: string, index: number | string): string {
  return `${path}[${index}]`;
}

/**
 * Text for a value of unknown type in a message: strings, numbers and booleans as themselves,
 * anything else by its type (never by calling its own toString, which may be missing or throw).
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  if (value === null) return "null";
  return Array.isArray(value) ? "<array>" : `<${typeof value}>`;
}
