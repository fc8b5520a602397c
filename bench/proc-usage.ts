/**
 * A process's CPU time and memory as Linux accounts them, read from /proc/<pid>/stat (utime and
 * stime, in clock ticks, every thread included) and /proc/<pid>/status (VmRSS, and VmHWM: the
 * peak resident set over the process's life). The benchmark reads them for processes it started.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every Linux the project runs on). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** One reading. */
export interface ProcUsage {
  /** User + system CPU seconds so far. */
  readonly cpuSeconds: number;
  /** Resident set now, MiB. */
  readonly rssMiB: number;
  /** Peak resident set so far, MiB. */
  readonly peakRssMiB: number;
}

/** User + system CPU seconds of `stat` (the text of /proc/<pid>/stat). */
export function cpuSecondsOf(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: split after its ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15, i.e. 12 and 13 after the state field (3).
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** A `Vm…:   123 kB` line of /proc/<pid>/status, in MiB. */
export function statusMiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Reads `pid`'s usage; throws if the process is gone. */
export function procUsage(pid: number): ProcUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return {
    cpuSeconds: cpuSecondsOf(stat),
    rssMiB: statusMiB(status, "VmRSS"),
    peakRssMiB: statusMiB(status, "VmHWM"),
  };
}
