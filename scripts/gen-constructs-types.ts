/**
 * Turns a `mesh/api` schema node into TypeScript declarations the way `cdk8s import` (json2jsii)
 * does for a CRD: one interface per nested object, named after its path (`VirtualServiceSpecHttp`
 * for `spec.http[]`), readonly optional properties with the schema's description as TSDoc.
 *
 * One deliberate difference: json2jsii turns an enum into a TypeScript `enum`, which refuses
 * string literals. Here an enum is a const object plus a union type of the same name, so
 * `VirtualServiceSpecHttpRedirectDerivePort.FROM_REQUEST_PORT` and `"FROM_REQUEST_PORT"` both
 * type-check, and the inferred `mesh/api` types (`SpecOf<K>`) are assignable to the L1 props.
 */
import type { Node, ObjectNode, StringNode } from "../mesh/api/schema";

/** `http_connection` or `tls-mode` → `HttpConnection`, `TlsMode`; the first letter is raised. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(part => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property key as TypeScript source: bare when it is an identifier, quoted otherwise. */
function key(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** A TSDoc block from lines of text; `*\/` in descriptions would end the comment early. */
export function doc(lines: readonly string[], indent = ""): string {
  const body = lines
    .flatMap(line => line.split("\n"))
    .map(line => line.replace(/\*\//g, "*\\/").trimEnd());
  while (body.length > 0 && body[body.length - 1] === "") body.pop();
  if (body.length === 0) return "";
  return [`${indent}/**`, ...body.map(l => `${indent} *${l ? ` ${l}` : ""}`), `${indent} */`]
    .join("\n")
    .concat("\n");
}

/** Constraints of a node that the TypeScript type cannot carry, as TSDoc lines. */
function constraints(node: Node): string[] {
  const out: string[] = [];
  const n = node as Partial<StringNode> & {
    minimum?: number;
    maximum?: number;
    minItems?: number;
    maxItems?: number;
    minProperties?: number;
    maxProperties?: number;
  };
  if (n.pattern !== undefined) out.push(`Must match \`${n.pattern}\`.`);
  if (n.minLength !== undefined) out.push(`At least ${n.minLength} characters.`);
  if (n.maxLength !== undefined) out.push(`At most ${n.maxLength} characters.`);
  if (n.minimum !== undefined && n.maximum !== undefined)
    out.push(`Between ${n.minimum} and ${n.maximum}.`);
  else if (n.minimum !== undefined) out.push(`At least ${n.minimum}.`);
  if (n.minItems !== undefined) out.push(`At least ${n.minItems} items.`);
  if (n.maxItems !== undefined) out.push(`At most ${n.maxItems} items.`);
  if (n.minProperties !== undefined) out.push(`At least ${n.minProperties} entries.`);
  if (n.maxProperties !== undefined) out.push(`At most ${n.maxProperties} entries.`);
  return out;
}

/** Emits the named declarations one schema needs, in the order they are first reached. */
export class TypeEmitter {
  private readonly blocks: string[] = [];
  private readonly taken = new Set<string>();

  /** The declarations emitted so far, as source. */
  render(): string {
    return this.blocks.join("\n");
  }

  /**
   * Emits `node` as a named type (for objects and enums) and returns the TypeScript type
   * expression that refers to it; `name` is the path-derived name a nested object gets.
   */
  typeOf(node: Node, name: string): string {
    switch (node.type) {
      case "string":
        return node.enum ? this.enumType(node.enum, name) : "string";
      case "integer":
      case "number":
        return "number";
      case "boolean":
        return "boolean";
      case "array": {
        // json2jsii names array items after the property itself (`spec.http[]` → `...Http`).
        const item = this.typeOf(node.items, name);
        return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
      }
      case "map":
        return `{ [key: string]: ${this.typeOf(node.values, name)} }`;
      case "any-object":
        return "{ [key: string]: unknown }";
      case "object":
        return this.interfaceType(node, name);
    }
  }

  private claim(name: string): string {
    // Two different nodes may derive the same name; json2jsii suffixes the later ones.
    let unique = name;
    for (let i = 2; this.taken.has(unique); i++) unique = `${name}${i}`;
    this.taken.add(unique);
    return unique;
  }

  private enumType(values: readonly string[], name: string): string {
    const id = this.claim(name);
    const members = values.map(v => `  ${key(v)}: ${JSON.stringify(v)},`);
    this.blocks.push(
      `${doc([`The values of \`${id}\`.`])}export const ${id} = {\n${members.join("\n")}\n} as const;\n` +
        `${doc([`One of the values of {@link ${id}}.`])}export type ${id} = (typeof ${id})[keyof typeof ${id}];\n`,
    );
    return id;
  }

  private interfaceType(node: ObjectNode, name: string): string {
    const id = this.claim(name);
    // Reserve the slot now so parents come before children, as in `cdk8s import` output.
    const slot = this.blocks.push("") - 1;
    const fields = Object.entries(node.properties).map(([prop, child]) => {
      const type = this.typeOf(child, `${id}${pascal(prop)}`);
      const lines = [
        ...(child.description ? [child.description, ""] : []),
        ...constraints(child),
        ...(child.deprecated ? ["@deprecated Istio keeps this field for compatibility only."] : []),
        `@schema ${id}#${prop}`,
      ];
      const optional = child.required === true ? "" : "?";
      return `${doc(lines, "  ")}  readonly ${key(prop)}${optional}: ${type};`;
    });
    const header = [
      ...(node.description ? [node.description, ""] : []),
      ...(node.oneOf ?? []).map(
        g => `At most one of ${g.map(k => `\`${k}\``).join(", ")} may be set.`,
      ),
      `@schema ${id}`,
    ];
    this.blocks[slot] = `${doc(header)}export interface ${id} {\n${fields.join("\n")}\n}\n`;
    return id;
  }
}
