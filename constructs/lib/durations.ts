/**
 * cdk8s `Duration`s as the `google.protobuf.Duration` strings Istio reads (`1.5s`, `250ms`).
 */
import type { Duration } from "cdk8s";

/** Renders a duration in whole milliseconds when it has any, else in seconds (Istio's 1ms floor). */
export function protoDuration(duration: Duration): string {
  const ms = duration.toMilliseconds();
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
