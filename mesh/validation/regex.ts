/**
 * RE2 regular expressions, the syntax Envoy's safe_regex uses
 * (https://github.com/google/re2/wiki/Syntax). Compiled with re2js, so what Perl-style engines
 * accept but RE2 does not (lookaround, backreferences) is refused here rather than NACKed by Envoy.
 */
import { RE2JS } from "re2js";

/** Istio caps regex length because Envoy caps RE2 program size (which grows with length). */
export const MAX_REGEX_LENGTH = 1024;

/** Compiles `re` as RE2; returns the broken rule or undefined. */
export function checkRegex(re: string): string | undefined {
  if (re.length > MAX_REGEX_LENGTH)
    return `regex is too large, max length allowed is ${MAX_REGEX_LENGTH}`;
  try {
    RE2JS.compile(re);
    return undefined;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return `${reason}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
  }
}
