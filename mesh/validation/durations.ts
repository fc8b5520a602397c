/**
 * Durations (`google.protobuf.Duration` fields). Users write Go-style strings (`5s`, `1m30s`,
 * `250ms`, `1.5h`), which the API server's CEL `duration()` and Istio accept. Envoy works in
 * milliseconds, so Istio refuses anything below 1ms or not a whole number of milliseconds
 * (agent.ValidateDuration).
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Parses a Go duration string into nanoseconds; undefined when it is not one. */
export function parseDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return s === "0" ? 0 : undefined;
  let total = 0;
  for (const part of s
    .slice(m[1]?.length ?? 0)
    .matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (UNIT_NS[part[2] ?? ""] ?? 0);
  }
  return m[1] === "-" ? -total : total;
}

/** A duration of at least 1ms, to millisecond precision; returns the broken rule or undefined. */
export function checkDuration(s: string): string | undefined {
  const ns = parseDuration(s);
  if (ns === undefined)
    return `invalid duration ${JSON.stringify(s)}: use a number with a unit, e.g. 500ms, 5s, 1m`;
  if (ns < 1e6) return "duration must be greater than 1ms";
  // Round to nanoseconds first: decimal input like 1.001s is not exact in binary floating point.
  if (Math.round(ns) % 1e6 !== 0) return "only durations to ms precision are supported";
  return undefined;
}
