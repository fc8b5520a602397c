/**
 * A syntax check for CEL expressions (Telemetry `accessLogging[].filter.expression`). Istio parses
 * the expression with cel-go and refuses the object when it does not parse; it does not type-check
 * it. No CEL parser is among the project's dependencies, so this is a small recursive-descent
 * recognizer of CEL's grammar: it answers "does this parse", with the position of the first error,
 * and builds no tree.
 *
 * @see https://github.com/google/cel-spec/blob/master/doc/langdef.md#syntax
 */

type TokenKind = "ident" | "number" | "string" | "punct" | "end";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
}

// Identifiers CEL reserves: a parse error where an identifier is expected.
const RESERVED = new Set([
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
  "void",
  "while",
]);

// Longest first, so `<=` is not read as `<` then `=`.
const PUNCTUATION = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "!",
  "?",
  ":",
  ".",
  ",",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
];

const NUMBER =
  /^(?:0[xX][0-9a-fA-F]+[uU]?|(?:[0-9]+\.[0-9]+|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?[uU]?)/;
const IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** A syntax error at a character offset. */
class CelSyntaxError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

/** The length of the string literal starting at `i` (quotes and prefix included). */
function stringLength(src: string, i: number): number {
  let j = i;
  while (j < src.length && /[rRbB]/.test(src[j]!)) j++;
  const raw = /[rR]/.test(src.slice(i, j));
  const quote = src.startsWith(src[j]!.repeat(3), j) ? src[j]!.repeat(3) : src[j]!;
  j += quote.length;
  while (j < src.length) {
    if (src.startsWith(quote, j)) return j + quote.length - i;
    if (quote.length === 1 && (src[j] === "\n" || src[j] === "\r"))
      throw new CelSyntaxError(j, "newline in a single-quoted string");
    j += !raw && src[j] === "\\" ? 2 : 1;
  }
  throw new CelSyntaxError(i, "unterminated string literal");
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith("//", i)) {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const prefix = /^[rRbB]{0,2}["']/.exec(src.slice(i));
    if (c === '"' || c === "'" || prefix) {
      const n = stringLength(src, i);
      out.push({ kind: "string", text: src.slice(i, i + n), pos: i });
      i += n;
      continue;
    }
    const num = /[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""));
    const m = num ? NUMBER.exec(src.slice(i)) : IDENT.exec(src.slice(i));
    if (m) {
      out.push({ kind: num ? "number" : "ident", text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const p = PUNCTUATION.find(op => src.startsWith(op, i));
    if (!p) throw new CelSyntaxError(i, `unexpected character ${JSON.stringify(c)}`);
    out.push({ kind: "punct", text: p, pos: i });
    i += p.length;
  }
  out.push({ kind: "end", text: "<EOF>", pos: src.length });
  return out;
}

/** The recognizer: one method per grammar rule, consuming tokens or throwing. */
class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private get peek(): Token {
    return this.tokens[this.i]!;
  }

  private is(text: string): boolean {
    return this.peek.kind === "punct" && this.peek.text === text;
  }

  private eat(text: string): boolean {
    if (!this.is(text)) return false;
    this.i++;
    return true;
  }

  private expect(text: string): void {
    if (!this.eat(text)) this.fail(`expected '${text}'`);
  }

  private fail(what: string): never {
    throw new CelSyntaxError(this.peek.pos, `${what}, found '${this.peek.text}'`);
  }

  private ident(): void {
    if (this.peek.kind !== "ident" || RESERVED.has(this.peek.text)) this.fail("expected a name");
    this.i++;
  }

  parse(): void {
    this.expr();
    if (this.peek.kind !== "end") this.fail("unexpected input after the expression");
  }

  expr(): void {
    this.binary(0);
    if (this.eat("?")) {
      this.binary(0);
      this.expect(":");
      this.expr();
    }
  }

  // Precedence levels, loosest first: ||, &&, relations (incl. `in`), + -, * / %.
  private static readonly LEVELS: readonly (readonly string[])[] = [
    ["||"],
    ["&&"],
    ["==", "!=", "<", "<=", ">", ">=", "in"],
    ["+", "-"],
    ["*", "/", "%"],
  ];

  private binary(level: number): void {
    if (level === Parser.LEVELS.length) return this.unary();
    this.binary(level + 1);
    const ops = Parser.LEVELS[level]!;
    while (
      (this.peek.kind === "punct" && ops.includes(this.peek.text)) ||
      (this.peek.kind === "ident" && this.peek.text === "in" && ops.includes("in"))
    ) {
      this.i++;
      this.binary(level + 1);
    }
  }

  private unary(): void {
    if (this.eat("!") || this.eat("-")) return this.unary();
    this.member();
  }

  private member(): void {
    this.primary();
    for (;;) {
      if (this.eat(".")) {
        this.ident();
        if (this.eat("(")) this.list(")");
      } else if (this.eat("[")) {
        this.expr();
        this.expect("]");
      } else if (this.is("{") && this.previousIsName()) {
        this.i++;
        this.inits("}", () => this.ident());
      } else return;
    }
  }

  // A message construction `a.b.Type{...}` follows a (qualified) name, not a call or index.
  private previousIsName(): boolean {
    return this.tokens[this.i - 1]?.kind === "ident";
  }

  private primary(): void {
    const t = this.peek;
    if (t.kind === "number" || t.kind === "string") {
      this.i++;
      return;
    }
    if (this.eat("(")) {
      this.expr();
      this.expect(")");
      return;
    }
    if (this.eat("[")) return this.list("]");
    if (this.eat("{")) return this.inits("}", () => this.expr());
    this.eat(".");
    this.ident();
    if (this.eat("(")) this.list(")");
  }

  /** Comma-separated expressions up to `close`; a trailing comma is allowed in literals. */
  private list(close: string): void {
    if (this.eat(close)) return;
    do {
      if (close !== ")" && this.is(close)) break;
      this.expr();
    } while (this.eat(","));
    this.expect(close);
  }

  /** `key: value` pairs up to `close` (map literals and message fields). */
  private inits(close: string, key: () => void): void {
    if (this.eat(close)) return;
    do {
      if (this.is(close)) break;
      key();
      this.expect(":");
      this.expr();
    } while (this.eat(","));
    this.expect(close);
  }
}

/**
 * Checks that `expression` is syntactically valid CEL. Returns undefined when it is, else a
 * message with the 1-based column of the first error.
 */
export function checkCelSyntax(expression: string): string | undefined {
  if (expression.trim() === "") return "Syntax error: empty expression";
  try {
    new Parser(tokenize(expression)).parse();
    return undefined;
  } catch (e) {
    if (!(e instanceof CelSyntaxError)) throw e;
    return `Syntax error at column ${e.pos + 1}: ${e.message}`;
  }
}
