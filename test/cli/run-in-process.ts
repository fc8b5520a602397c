import type { Command } from "commander";

/** Runs a command in this process, capturing stdout, stderr and the exit code it sets. */
export async function runInProcess(command: Command, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, "write").mockImplementation(c => !!out.push(String(c)));
  const stderr = jest.spyOn(process.stderr, "write").mockImplementation(c => !!err.push(String(c)));
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    const exit = (c: Command): void => {
      c.exitOverride();
      c.commands.forEach(exit);
    };
    exit(command);
    await command.parseAsync(args, { from: "user" });
    return { code: process.exitCode ?? 0, stdout: out.join(""), stderr: err.join("") };
  } catch (e) {
    return { code: 2, stdout: out.join(""), stderr: `${err.join("")}${String(e)}` };
  } finally {
    process.exitCode = saved;
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
