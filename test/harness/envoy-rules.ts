/**
 * Envoy's own rules over resources Rigging encodes: runs tools/envoy-validate (go-control-plane's
 * protoc-gen-validate `ValidateAll()` on every message, Any-packed typed configs included, plus
 * the cross-resource checks Envoy makes on load) on the encoded bytes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EncodedResource } from "../../xds/encode/encode-resource";
import { repoRoot } from "./shared";

/** One rule a resource breaks, as the tool reports it. */
export interface EnvoyViolation {
  readonly group?: string;
  readonly type: string;
  readonly name: string;
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** The tool's report. */
export interface EnvoyRulesReport {
  readonly resources: number;
  readonly groups: number;
  readonly violations: readonly EnvoyViolation[];
}

/** A resource to check and the snapshot (proxy) it belongs to. */
export interface GroupedResource {
  readonly group: string;
  readonly resource: Pick<EncodedResource, "typeUrl" | "value" | "version">;
}

let cachedBinary: string | undefined;

/**
 * The envoy-validate binary. Tests never build it (`npm test` runs `npm run envoy:validate`
 * first); a missing binary fails with that advice.
 */
export function envoyValidateBinary(): string {
  if (cachedBinary) return cachedBinary;
  const res = spawnSync("bash", [join(repoRoot, "scripts", "envoy-validate.sh"), "--where"], {
    encoding: "utf8",
  });
  const path = res.stdout.trim().split("\n").pop() ?? "";
  if (res.status !== 0 || !path)
    throw new Error(`scripts/envoy-validate.sh --where: ${res.stderr}`);
  if (!existsSync(path)) {
    throw new Error(
      `envoy-validate not found at ${path}: build it with \`npm run envoy:validate\` ` +
        "(bash scripts/envoy-validate.sh; `npm test` does this before the tests)",
    );
  }
  cachedBinary = path;
  return path;
}

/** The JSON lines the tool reads: type URL, base64 bytes and group of each resource. */
export function toJsonLines(resources: readonly GroupedResource[]): string {
  return resources
    .map(({ group, resource }) =>
      JSON.stringify({
        typeUrl: resource.typeUrl,
        value: Buffer.from(resource.value).toString("base64"),
        group,
      }),
    )
    .join("\n");
}

/** Runs the tool on `resources`; `cross` adds the cross-resource checks within each group. */
export function runEnvoyRules(
  resources: readonly GroupedResource[],
  options: { readonly cross?: boolean; readonly args?: readonly string[] } = {},
): EnvoyRulesReport {
  // A file rather than stdin: the collected fixtures of one test file can be many megabytes.
  const dir = mkdtempSync(join(tmpdir(), "envoy-rules-"));
  try {
    const input = join(dir, "resources.jsonl");
    writeFileSync(input, toJsonLines(resources));
    const args = [...(options.cross ? ["-cross"] : []), ...(options.args ?? []), input];
    const res = spawnSync(envoyValidateBinary(), args, {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    if (res.status !== 0 && res.status !== 1) {
      throw new Error(`envoy-validate exited ${String(res.status)}: ${res.stderr}`);
    }
    const report = JSON.parse(res.stdout) as EnvoyRulesReport;
    if ((res.status === 1) !== report.violations.length > 0) {
      throw new Error(
        `envoy-validate exited ${String(res.status)} with ${report.violations.length} violations`,
      );
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per violation: `group: LDS "name": field: message (rule)`. */
export function describeViolations(violations: readonly EnvoyViolation[]): string {
  return violations
    .map(
      v =>
        `${v.group ? `${v.group}: ` : ""}${v.type} ${JSON.stringify(v.name)}: ${v.field}: ${v.message} (${v.rule})`,
    )
    .join("\n");
}
