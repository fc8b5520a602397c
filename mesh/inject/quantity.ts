/**
 * Kubernetes resource quantities: parsing (to refuse the bad ones Istio refuses) and canonical
 * formatting (Istio's output passes through Go's `resource.Quantity`, so `2000m` comes out as `2`
 * and `1024Mi` as `1Gi`). Semantics from
 * https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go
 */

/** The error Kubernetes gives for a quantity that does not parse. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_SUFFIX: Record<number, string> = Object.fromEntries(
  Object.entries(DECIMAL).map(([k, v]) => [v, k]),
);

type Format = "BinarySI" | "DecimalSI" | "DecimalExponent";

/** A parsed quantity: its value in nano-units (rounded up, as Kubernetes does) and its format. */
export interface Quantity {
  readonly nanos: bigint;
  readonly format: Format;
}

const NANO = 1_000_000_000n;

/** Parses a quantity, or returns the reason it is not one. */
export function parseQuantity(text: string): Quantity | string {
  const m = /^([+-]?)([0-9]*\.?[0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/.exec(text);
  if (!m || m[2] === "" || m[2] === ".") return QUANTITY_FORMAT_ERROR;
  const [, sign = "", num = "", suffix = ""] = m;
  const [intPart = "", fracPart = ""] = num.split(".");
  let numerator = BigInt((intPart || "0") + fracPart);
  let denominator = 10n ** BigInt(fracPart.length);
  let format: Format;
  if (suffix in BINARY) {
    format = "BinarySI";
    numerator *= 1024n ** BigInt(BINARY[suffix] ?? 0);
  } else {
    const exp = suffix in DECIMAL ? (DECIMAL[suffix] ?? 0) : Number(suffix.slice(1));
    format = suffix in DECIMAL ? "DecimalSI" : "DecimalExponent";
    if (Math.abs(exp) > 1000) return "quantity exponent out of range";
    if (exp >= 0) numerator *= 10n ** BigInt(exp);
    else denominator *= 10n ** BigInt(-exp);
  }
  // Kubernetes keeps nano precision and rounds up what is finer.
  const scaled = numerator * NANO;
  let nanos = scaled / denominator;
  if (scaled % denominator !== 0n) nanos += 1n;
  return { nanos: sign === "-" ? -nanos : nanos, format };
}

/** The canonical text of a quantity, as `resource.Quantity.String()` prints it. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return "0";
  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  let format = q.format;
  // Binary formatting only for whole values of at least 1024, to avoid rounding confusion.
  if (format === "BinarySI" && (abs < 1024n * NANO || abs % NANO !== 0n)) format = "DecimalSI";
  let text: string;
  if (format === "BinarySI") {
    let n = abs / NANO;
    let k = 0;
    while (k < 6 && n % 1024n === 0n) {
      n /= 1024n;
      k++;
    }
    text = `${n}${["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k]}`;
  } else {
    let n = abs;
    let exp = -9;
    while (exp < 18 && n % 1000n === 0n) {
      n /= 1000n;
      exp += 3;
    }
    const suffix =
      format === "DecimalSI" ? (DECIMAL_SUFFIX[exp] ?? "") : exp === 0 ? "" : `e${exp}`;
    text = `${n}${suffix}`;
  }
  return negative ? `-${text}` : text;
}

/** The canonical text of a quantity string, or the string unchanged when it does not parse. */
export function canonicalQuantity(text: string): string {
  const q = parseQuantity(text);
  return typeof q === "string" ? text : formatQuantity(q);
}
