/**
 * What a kind's semantic validator gets: the object's identity, where to report, and options.
 */
import type { ObjectMeta } from "../../mesh/api/kinds";
import { checkDuration } from "./durations";
import type { Report } from "./diagnostic";

/** Options for validation. */
export interface ValidateOptions {
  /** Namespace assumed for objects without `metadata.namespace` (kubectl's default). */
  readonly defaultNamespace?: string;
  /** The mesh root namespace, where mesh-wide policies live (Istio's default: istio-system). */
  readonly rootNamespace?: string;
  /**
   * Names of the mesh config's `extensionProviders`, when known: a Telemetry naming another
   * provider (not one of Istio's built-ins) gets a warning. @default unknown, no provider check
   */
  readonly extensionProviders?: readonly string[];
}

/** The validation context of one object. */
export interface Context {
  readonly report: Report;
  readonly namespace: string;
  readonly name: string;
  readonly metadata: ObjectMeta;
  readonly rootNamespace: string;
}

/** Reports a duration field when it is set and broken. */
export function checkDurationField(report: Report, path: string, value: string | undefined): void {
  if (value !== undefined) report.check(path, checkDuration(value));
}
