import { nodeCaDeps } from "../../ca/server/node-crypto";
import type { CaSecretStore } from "../../control-plane/ca-secrets";
import type { ControlPlaneLogger } from "../../control-plane/logger";

/** An in-memory CA Secret store; `beforeCreate` lets a test slip a racing writer in. */
export class MemoryStore implements CaSecretStore {
  readonly namespace = "pepr-system";
  readonly secrets = new Map<string, Record<string, string>>();
  beforeCreate: ((name: string) => void) | undefined;
  creates = 0;

  async read(name: string) {
    return this.secrets.get(name);
  }

  async createIfAbsent(name: string, data: Record<string, string>) {
    this.creates++;
    this.beforeCreate?.(name);
    if (this.secrets.has(name)) return "exists" as const;
    this.secrets.set(name, data);
    return "created" as const;
  }
}

/** A logger that records every line (as JSON, the way it would reach a log). */
export function recordingLogger(): ControlPlaneLogger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    void lines.push(JSON.stringify({ level, msg, ...fields }));
  return { lines, info: rec("info"), warn: rec("warn"), error: rec("error"), debug: rec("debug") };
}

/** Node crypto with a controllable clock. */
export function depsAt(clock: { now: Date }) {
  return { ...nodeCaDeps, now: () => new Date(clock.now.getTime()) };
}

/** A hand-driven clock for the runtime's debouncer: timers fire only when the test advances. */
export function manualTimers() {
  let now = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      pending.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout: (h: unknown) => void pending.delete(h as number),
    advance(ms: number) {
      now += ms;
      for (const [h, t] of [...pending]) {
        if (t.at <= now) {
          pending.delete(h);
          t.fn();
        }
      }
    },
  };
}
