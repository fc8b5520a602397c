/**
 * Field-for-field comparison of a resource as written (protobufjs object form) against the
 * message decoded from its encoded bytes.
 *
 * Why: protobufjs `fromObject()` silently drops fields it does not know (a typo such as
 * `routeConfigName` for `route_config_name`), enum names it does not know, and `Any` payloads
 * whose `@type` is missing from the descriptor. Each of those turns into an empty or default
 * config that Envoy accepts and then misroutes. Walking the input and finding every value again
 * in the decoded message catches all of them before a resource leaves the server.
 */
import protobuf from "protobufjs";
import { findMessageType } from "./proto-root";

/** One place where the decoded message differs from what was written. */
export interface EncodeIssue {
  /** Field path in the resource, e.g. `filter_chains[0].filters[0].typed_config.stat_prefix`. */
  readonly path: string;
  /** What went wrong, in words a user can act on. */
  readonly message: string;
}

type Plain = Record<string, unknown>;

const ANY = ".google.protobuf.Any";

function isPlainObject(value: unknown): value is Plain {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value)
  );
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
}

/**
 * Compares `input` (what was handed to `fromObject`) with `decoded` (what came back from the
 * bytes) for message type `type`, appending every difference to `issues`.
 */
export function compareMessage(
  type: protobuf.Type,
  input: unknown,
  decoded: protobuf.Message | null | undefined,
  path: string,
  issues: EncodeIssue[],
): void {
  if (!isPlainObject(input)) {
    issues.push({ path, message: `expected an object for ${type.fullName.slice(1)}` });
    return;
  }
  if (!decoded) {
    issues.push({ path, message: "message was dropped by the encoder" });
    return;
  }
  const values = decoded as unknown as Plain;
  // Two members of one oneof would both be encoded and the last one silently wins.
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter(name => input[name] !== undefined && input[name] !== null);
    if (set.length > 1) {
      issues.push({
        path,
        message: `fields ${set.join(" and ")} are both set in oneof ${oneof.name}`,
      });
    }
  }
  for (const [key, value] of Object.entries(input)) {
    if (key === "@type" && type.fullName === ANY) continue;
    const field = type.fields[key];
    if (!field) {
      const hint = type.fields[snakeCase(key)] ? ` (did you mean "${snakeCase(key)}"?)` : "";
      issues.push({ path: join(path, key), message: `unknown field "${key}"${hint}` });
      continue;
    }
    if (value === undefined || value === null) continue;
    field.resolve();
    const fieldPath = join(path, key);
    if (field.map) {
      compareMap(field, value, values[key], fieldPath, issues);
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        issues.push({ path: fieldPath, message: "expected an array" });
        continue;
      }
      const got = Array.isArray(values[key]) ? (values[key] as unknown[]) : [];
      if (got.length !== value.length) {
        issues.push({
          path: fieldPath,
          message: `${value.length} items written, ${got.length} decoded`,
        });
        continue;
      }
      value.forEach((item, i) => compareValue(field, item, got[i], `${fieldPath}[${i}]`, issues));
    } else {
      compareValue(field, value, values[key], fieldPath, issues);
    }
  }
}

function compareMap(
  field: protobuf.Field,
  value: unknown,
  decoded: unknown,
  path: string,
  issues: EncodeIssue[],
): void {
  if (!isPlainObject(value)) {
    issues.push({ path, message: "expected an object (map)" });
    return;
  }
  const got = isPlainObject(decoded) ? decoded : {};
  for (const [k, v] of Object.entries(value)) {
    if (!(k in got)) {
      issues.push({ path: `${path}["${k}"]`, message: "map entry was dropped by the encoder" });
      continue;
    }
    compareValue(field, v, got[k], `${path}["${k}"]`, issues);
  }
}

function compareValue(
  field: protobuf.Field,
  value: unknown,
  decoded: unknown,
  path: string,
  issues: EncodeIssue[],
): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === ANY) compareAny(value, decoded as protobuf.Message, path, issues);
    else compareMessage(resolved, value, decoded as protobuf.Message, path, issues);
    return;
  }
  if (resolved instanceof protobuf.Enum) {
    compareEnum(resolved, value, decoded, path, issues);
    return;
  }
  compareScalar(field.type, value, decoded, path, issues);
}

/**
 * An `Any` is written as `{ "@type": "type.googleapis.com/<message>", ...fields }`; its payload
 * is checked against the named message type.
 */
export function compareAny(
  value: unknown,
  decoded: protobuf.Message | null | undefined,
  path: string,
  issues: EncodeIssue[],
): void {
  if (!isPlainObject(value) || typeof value["@type"] !== "string") {
    issues.push({ path, message: 'an Any needs a string "@type"' });
    return;
  }
  const typeUrl = value["@type"];
  const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  const type = findMessageType(name);
  if (!type) {
    issues.push({ path, message: `@type ${typeUrl} is not in the encoder's descriptor` });
    return;
  }
  const any = (decoded ?? {}) as { type_url?: string; value?: Uint8Array };
  if (any.type_url !== typeUrl) {
    issues.push({ path, message: `@type ${typeUrl} was encoded as "${any.type_url ?? ""}"` });
    return;
  }
  let inner: protobuf.Message;
  try {
    inner = type.decode(any.value ?? new Uint8Array());
  } catch (err) {
    issues.push({ path, message: `payload does not decode as ${name}: ${(err as Error).message}` });
    return;
  }
  const rest = { ...value };
  delete rest["@type"];
  compareMessage(type, rest, inner, path, issues);
}

function compareEnum(
  type: protobuf.Enum,
  value: unknown,
  decoded: unknown,
  path: string,
  issues: EncodeIssue[],
): void {
  let expected: number | undefined;
  if (typeof value === "string") expected = type.values[value];
  else if (typeof value === "number" && Object.values(type.values).includes(value))
    expected = value;
  if (expected === undefined) {
    issues.push({ path, message: `${JSON.stringify(value)} is not a value of enum ${type.name}` });
  } else if (expected !== (decoded ?? 0)) {
    issues.push({
      path,
      message: `enum written as ${String(value)}, decoded as ${String(decoded)}`,
    });
  }
}

const INT32 = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32"]);
const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

function compareScalar(
  kind: string,
  value: unknown,
  decoded: unknown,
  path: string,
  issues: EncodeIssue[],
): void {
  const mismatch = (what: string) => issues.push({ path, message: what });
  if (kind === "string") {
    if (typeof value !== "string") mismatch(`expected a string, got ${typeof value}`);
    else if (value !== (decoded ?? "")) mismatch("string changed in encoding");
  } else if (kind === "bool") {
    if (typeof value !== "boolean") mismatch(`expected a boolean, got ${typeof value}`);
    else if (value !== (decoded ?? false)) mismatch("boolean changed in encoding");
  } else if (INT32.has(kind)) {
    if (typeof value !== "number" || !Number.isInteger(value))
      mismatch(`expected an integer (${kind})`);
    else if (value !== (decoded ?? 0))
      mismatch(`${value} does not fit ${kind} (decoded ${String(decoded)})`);
  } else if (INT64.has(kind)) {
    const written =
      typeof value === "number" || typeof value === "string" ? String(value) : undefined;
    const longLike = typeof value === "object" && value !== null && "low" in value;
    if (written === undefined && !longLike) mismatch(`expected an integer (${kind})`);
    else if ((written ?? String(value)) !== String(decoded ?? 0)) {
      mismatch(`${written ?? String(value)} changed to ${String(decoded)} in encoding (${kind})`);
    }
  } else if (kind === "double" || kind === "float") {
    if (typeof value !== "number") mismatch(`expected a number (${kind})`);
    else {
      const want = kind === "float" ? Math.fround(value) : value;
      const got = (decoded ?? 0) as number;
      if (!(want === got || (Number.isNaN(want) && Number.isNaN(got))))
        mismatch(`${value} changed to ${got}`);
    }
  } else if (kind === "bytes") {
    const written =
      typeof value === "string"
        ? Buffer.from(value, "base64").toString("base64")
        : value instanceof Uint8Array
          ? Buffer.from(value).toString("base64")
          : undefined;
    const got = decoded instanceof Uint8Array ? Buffer.from(decoded).toString("base64") : "";
    if (written === undefined) mismatch("expected bytes (base64 string or Uint8Array)");
    else if (written !== got) mismatch("bytes changed in encoding");
  }
}
