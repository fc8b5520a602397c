import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";

/** A process the local cluster started, found again by pid (also from another `rig` process). */
export interface ManagedProcess {
  name: string;
  pid: number;
  logPath: string;
}

/**
 * Starts `bin` in its own process group with output appended to `logPath`, detached so that a
 * cluster started by `rig cluster up` outlives the command. Stopping is always by pid.
 */
export function startProcess(
  name: string,
  bin: string,
  args: string[],
  logPath: string,
  env: NodeJS.ProcessEnv = process.env,
): ManagedProcess {
  const fd = openSync(logPath, "a");
  try {
    const child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
    child.unref();
    return { name, pid: child.pid, logPath };
  } finally {
    closeSync(fd);
  }
}

/** Whether a process with this pid exists (zombies of our own children count as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** The command line of a running process, or "" when it is gone (Linux /proc). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signalGroup(pid, "SIGKILL");
    const hardDeadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < hardDeadline) await sleep(50);
  }
}

/** Kills a process group at once, synchronously: for `exit` handlers, where nothing can wait. */
export function killNow(pid: number): void {
  signalGroup(pid, "SIGKILL");
}

/** The last `lines` lines of a log file, for error messages about a process that died. */
export function logTail(path: string, lines = 25): string {
  if (!existsSync(path)) return "(no log)";
  const text = readFileSync(path, "utf8").trimEnd().split("\n");
  return text.slice(-lines).join("\n");
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
