/**
 * Unix domain socket addresses (`unix:///path` or abstract `unix://@name`), used by Gateway and
 * Sidecar binds and by workload addresses. Rule: Istio's ValidateUnixAddress.
 */

/** The scheme prefix of a unix socket address. */
export const UNIX_PREFIX = "unix://";

/** A socket path after `unix://`: absolute and not a directory, or abstract (`@name`). */
export function checkUnixAddress(addr: string): string | undefined {
  if (addr === "") return "unix address must not be empty";
  if (addr.startsWith("@")) return undefined;
  if (!addr.startsWith("/") || addr.endsWith("/"))
    return `${addr} is not an absolute path to a file`;
  return undefined;
}
