/**
 * A small typed schema language for Istio's config kinds. A schema written with these builders is
 * the single source of truth: the TypeScript type of a spec is inferred from it ({@link Infer}),
 * the CRD's structural OpenAPI v3 schema is emitted from it (`openapi.ts`), and the admission
 * validator checks shapes against it before the semantic rules run (`mesh/validation/structural.ts`).
 *
 * Nodes are plain data so they can be walked by code; the `__t` member exists only in the type
 * system and carries the value type.
 */

/** Fields every schema node may carry. */
interface Common {
  /** Human text shown by `kubectl explain`. */
  readonly description?: string;
  /** Set on the property wrapper by {@link req}: the key must be present. */
  readonly required?: boolean;
  /** The field still works but Istio recommends another one. */
  readonly deprecated?: boolean;
}

/** A string, optionally restricted to an enum, a pattern or a length range. */
export interface StringNode<T extends string = string> extends Common {
  readonly type: "string";
  readonly enum?: readonly T[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly format?: "byte" | "date-time";
  readonly __t?: T;
}

/** An integer with an optional range; `format` is passed to OpenAPI as is. */
export interface IntegerNode extends Common {
  readonly type: "integer";
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: "int32" | "int64";
  readonly __t?: number;
}

/** A floating point number with an optional range. */
export interface NumberNode extends Common {
  readonly type: "number";
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: "double";
  readonly __t?: number;
}

/** `true` or `false`. */
export interface BooleanNode extends Common {
  readonly type: "boolean";
  readonly __t?: boolean;
}

/** A list of items of one schema. */
export interface ArrayNode<T = unknown> extends Common {
  readonly type: "array";
  readonly items: Node;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly __t?: T[];
}

/** A string-keyed map whose values share one schema (proto `map<string, V>`). */
export interface MapNode<T = unknown> extends Common {
  readonly type: "map";
  readonly values: Node;
  /** Keys must parse as this type (proto `map<uint32, V>` is keyed by decimal strings in JSON). */
  readonly keys?: "uint32";
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly __t?: Record<string, T>;
}

/** An object with known properties; unknown properties are refused. */
export interface ObjectNode<T = unknown> extends Common {
  readonly type: "object";
  readonly properties: Readonly<Record<string, Node>>;
  /** Groups of properties of which at most one may be set (a proto `oneof`). */
  readonly oneOf?: readonly (readonly string[])[];
  readonly __t?: T;
}

/** A free-form object (proto `google.protobuf.Struct`), kept as is by the API server. */
export interface AnyObjectNode extends Common {
  readonly type: "any-object";
  readonly __t?: Record<string, unknown>;
}

/** Any schema node. */
export type Node =
  | StringNode
  | IntegerNode
  | NumberNode
  | BooleanNode
  | ArrayNode
  | MapNode
  | ObjectNode
  | AnyObjectNode;

/** The TypeScript value type a schema node describes. */
export type Infer<N> = N extends { readonly __t?: infer T } ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type RequiredKeys<P> = {
  [K in keyof P]: P[K] extends { readonly required: true } ? K : never;
}[keyof P];
type OptionalKeys<P> = Exclude<keyof P, RequiredKeys<P>>;

/** The value type of an object whose properties are `P`; {@link req} properties are mandatory. */
export type InferObject<P> = Simplify<
  { -readonly [K in RequiredKeys<P>]: Infer<P[K]> } & {
    -readonly [K in OptionalKeys<P>]?: Infer<P[K]>;
  }
>;

type Opts<N> = Omit<N, "type" | "__t" | "items" | "values" | "properties" | "enum">;

/** A string field. */
export function string(opts: Opts<StringNode> = {}): StringNode {
  return { type: "string", ...opts };
}

/** A string field restricted to `values` (a proto enum, serialised by name). */
export function enumOf<const T extends string>(
  values: readonly T[],
  opts: Opts<StringNode> = {},
): StringNode<T> {
  return { type: "string", enum: values, ...opts };
}

/** A signed 32-bit integer (proto `int32`, `google.protobuf.Int32Value`). */
export function int32(opts: Opts<IntegerNode> = {}): IntegerNode {
  return { type: "integer", format: "int32", ...opts };
}

/** An unsigned 32-bit integer (proto `uint32`, `google.protobuf.UInt32Value`). */
export function uint32(opts: Opts<IntegerNode> = {}): IntegerNode {
  return { type: "integer", minimum: 0, maximum: 4294967295, ...opts };
}

/** An unsigned 64-bit integer (proto `uint64`); JSON numbers lose precision past 2^53. */
export function uint64(opts: Opts<IntegerNode> = {}): IntegerNode {
  return { type: "integer", minimum: 0, ...opts };
}

/** A double (proto `double`, `google.protobuf.DoubleValue`). */
export function double(opts: Opts<NumberNode> = {}): NumberNode {
  return { type: "number", format: "double", ...opts };
}

/** A boolean (proto `bool`, `google.protobuf.BoolValue`). */
export function boolean(opts: Opts<BooleanNode> = {}): BooleanNode {
  return { type: "boolean", ...opts };
}

/**
 * A `google.protobuf.Duration` written as a string such as `1.5s` or `5m`. The shape is a string;
 * the syntax and the 1ms floor are semantic rules (`mesh/validation/durations.ts`).
 */
export function duration(opts: Opts<StringNode> = {}): StringNode {
  return { type: "string", ...opts };
}

/** A list of `items`. */
export function array<N extends Node>(items: N, opts: Opts<ArrayNode> = {}): ArrayNode<Infer<N>> {
  return { type: "array", items, ...opts };
}

/** A string-keyed map of `values`. */
export function map<N extends Node>(values: N, opts: Opts<MapNode> = {}): MapNode<Infer<N>> {
  return { type: "map", values, ...opts };
}

/** An object with the given properties; wrap mandatory ones in {@link req}. */
export function object<const P extends Record<string, Node>>(
  properties: P,
  opts: Opts<ObjectNode> = {},
): ObjectNode<InferObject<P>> {
  return { type: "object", properties, ...opts };
}

/** A free-form object (proto `Struct`). */
export function anyObject(opts: Opts<AnyObjectNode> = {}): AnyObjectNode {
  return { type: "any-object", ...opts };
}

/** Marks a property as required: the generated CRD lists it and the type makes it mandatory. */
export function req<N extends Node>(node: N): N & { readonly required: true } {
  return { ...node, required: true };
}

/** Adds a description to a node (used where a shared node gets field-specific text). */
export function describe<N extends Node>(node: N, description: string): N {
  return { ...node, description };
}

/** The property names of an object node that must be present. */
export function requiredKeys(node: ObjectNode): string[] {
  return Object.entries(node.properties)
    .filter(([, child]) => child.required === true)
    .map(([key]) => key);
}
