/**
 * The operator's deny-list for control-plane fetches of `jwksUri`: CIDRs, single addresses and
 * host names the control plane must never connect to (a RequestAuthentication is namespace-level
 * config, so without this any namespace admin could point the control plane at, say, a cloud
 * metadata endpoint). Pure: parsing and matching only; resolving names is the caller's job.
 *
 * By default the list is empty and nothing is blocked: which addresses are sensitive depends on
 * the cluster, and a default that blocked private ranges would break every in-cluster issuer.
 */
import { BlockList, isIP } from "node:net";

/** A parsed deny-list. */
export interface FetchDenyList {
  /** The entries as the operator wrote them (for messages). */
  readonly entries: readonly string[];
  /** The entry that blocks this host name (lower-cased, no port), if any. */
  blockedHost(host: string): string | undefined;
  /** The entry that blocks this resolved IPv4/IPv6 address, if any. */
  blockedAddress(address: string): string | undefined;
}

/** A parsed list, or the entries that are neither a CIDR, an address nor a host name. */
export type FetchDenyListResult =
  | { readonly ok: true; readonly value: FetchDenyList }
  | { readonly ok: false; readonly errors: readonly string[] };

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/;

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is matched as the IPv4 address it carries. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

/**
 * Parses `entries`: `10.0.0.0/8` or `fd00::/8` (CIDR), `169.254.169.254` (one address),
 * `metadata.google.internal` (exact host) or `*.internal` (any subdomain). Host entries match
 * the URL's host name; address entries match every address the name resolves to.
 */
export function parseFetchDenyList(entries: readonly string[]): FetchDenyListResult {
  const errors: string[] = [];
  const nets: { entry: string; list: BlockList }[] = [];
  const hosts: { entry: string; name: string; wildcard: boolean }[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const [addr = "", bits, extra] = entry.split("/");
    const family = isIP(addr);
    if (family !== 0) {
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (extra !== undefined || !/^\d+$/.test(bits ?? String(max)) || prefix > max) {
        errors.push(`deny-list entry ${JSON.stringify(raw)}: prefix length must be 0..${max}`);
        continue;
      }
      const list = new BlockList();
      list.addSubnet(addr, prefix, family === 4 ? "ipv4" : "ipv6");
      nets.push({ entry, list });
    } else if (bits === undefined && HOST.test(entry.toLowerCase())) {
      const name = entry.toLowerCase().replace(/\.$/, "");
      const wildcard = name.startsWith("*.");
      hosts.push({ entry, name: wildcard ? name.slice(1) : name, wildcard });
    } else {
      errors.push(
        `deny-list entry ${JSON.stringify(raw)}: not a CIDR, an IP address or a host name`,
      );
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      entries: entries.map(e => e.trim()),
      blockedHost(host) {
        const h = host.toLowerCase().replace(/\.$/, "");
        return hosts.find(e => (e.wildcard ? h.endsWith(e.name) : h === e.name))?.entry;
      },
      blockedAddress(address) {
        const a = unmapped(address);
        const family = isIP(a);
        if (family === 0) return undefined;
        return nets.find(n => n.list.check(a, family === 4 ? "ipv4" : "ipv6"))?.entry;
      },
    },
  };
}
