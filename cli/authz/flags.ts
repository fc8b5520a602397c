/** Flags `rig authz check` and `rig x explain` share: where to read from and the namespace. */
import { Option, type Command } from "commander";
import { DEFAULT_ROOT_NAMESPACE } from "../../mesh/authn";

/** The shared flags' values. */
export interface SourceFlags {
  namespace: string;
  filename: string[];
  rootNamespace: string;
}

/** Adds `-n`, `-f` (repeatable) and `--root-namespace` to `command`. */
export function withSourceFlags(command: Command): Command {
  return command
    .addOption(new Option("-n, --namespace <namespace>", "the pod's namespace").default("default"))
    .addOption(
      new Option(
        "-f, --filename <path>",
        "read the Pod and policies from manifest files or folders instead of the cluster; - reads stdin; repeatable",
      )
        .argParser((v: string, prev: string[] = []) => [...prev, v])
        .default([]),
    )
    .addOption(
      new Option("--root-namespace <namespace>", "the mesh root namespace").default(
        DEFAULT_ROOT_NAMESPACE,
      ),
    );
}

// kubernetes-fluent-client rejects with the HTTP response, not an Error.
/** A one-line message for a failure to read the inputs. */
export function readFailure(err: unknown): string {
  const res = err as { status?: number; statusText?: string; data?: { message?: string } };
  if (typeof res?.status === "number")
    return `reading the cluster: HTTP ${res.status} ${res.data?.message ?? res.statusText ?? ""}`.trim();
  return err instanceof Error ? err.message : String(err);
}
