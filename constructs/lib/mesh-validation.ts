/**
 * Deferred checks: every object an L2 construct produces is run through Rigging's own
 * validators (the ones the admission webhook runs) when the app synthesizes, so a config the
 * mesh would refuse fails `cdk8s synth` instead of `kubectl apply`. cdk8s prefixes each message
 * with the construct path; the message names the prop the offending field came from.
 */
import type { ApiObject } from "cdk8s";
import type { IConstruct } from "constructs";
import { validate } from "../../mesh/validation/validate";
import { namespaceOf } from "./hosts";

/** Which prop a field of a produced object came from: the first prefix that matches wins. */
export type PropMap = readonly (readonly [pathPrefix: string, prop: string])[];

/** One produced object and where its fields came from. */
export interface ProducedObject {
  readonly object: ApiObject;
  readonly props: PropMap;
}

/** The prop a diagnostic path came from; `props` when no prefix claims it. */
export function propFor(path: string, props: PropMap): string {
  // Whole path segments only: `spec.http[1]` must not claim `spec.http[10]`.
  const under = (prefix: string) =>
    path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
  const hit = props.find(([prefix]) => under(prefix));
  return hit ? hit[1] : "props";
}

/**
 * The errors Rigging's validators find in `produced`, each as
 * `props.<prop>: Kind ns/name: path: rule`. Warnings do not fail a synth: the webhook admits them.
 */
export function meshErrors(produced: readonly ProducedObject[]): string[] {
  return produced.flatMap(({ object, props }) => {
    const result = validate(object.toJson(), { defaultNamespace: namespaceOf(object) });
    return result.errors.map(d => {
      const prop = propFor(d.path, props);
      return `${prop === "props" ? prop : `props.${prop}`}: ${d.message}`;
    });
  });
}

/**
 * Registers the deferred check on `scope`. `produced` is read at synth time, so objects added by
 * methods after construction (`allowFrom`, `addRoute`) are checked too.
 */
export function validateWithMesh(
  scope: IConstruct,
  produced: () => readonly ProducedObject[],
): void {
  scope.node.addValidation({ validate: () => meshErrors(produced()) });
}
