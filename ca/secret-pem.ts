/**
 * A private key in PEM that does not print itself. The authority object is the kind of thing
 * that ends up in a log line or a test snapshot; keeping the key behind `reveal()` means
 * `console.log(authority)`, `JSON.stringify(authority)` and template strings show a placeholder.
 */
export class SecretPem {
  readonly #pem: string;

  /** Wraps `pem`; only {@link SecretPem.reveal} returns it. */
  constructor(pem: string) {
    this.#pem = pem;
  }

  /** The PEM text, for the one caller that must write it (the Secret serialiser, a TLS server). */
  reveal(): string {
    return this.#pem;
  }

  /** A placeholder, so string interpolation never leaks the key. */
  toString(): string {
    return "[redacted private key]";
  }

  /** A placeholder, so `JSON.stringify` never leaks the key. */
  toJSON(): string {
    return this.toString();
  }

  /** A placeholder for Node's `util.inspect` (and so `console.log`). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
