/**
 * A real browser for page tests: Debian's chromium (installed by scripts/chromium-binary.sh),
 * headless, driven by playwright-core. Only loopback pages are opened; the browser is told to
 * make no other connection (no updates, no safe-browsing, no sign-in).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { repoRoot } from "./shared";

/** Where scripts/chromium-binary.sh finds chromium; the test fails clearly if it is absent. */
export function chromiumBinary(): string {
  const where = spawnSync("bash", [join(repoRoot, "scripts", "chromium-binary.sh"), "--where"], {
    encoding: "utf8",
  }).stdout.trim();
  if (!where || !existsSync(where))
    throw new Error("no chromium found: run npm run chromium:binary (npm test does)");
  return where;
}

/** Launches headless chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumBinary(),
    headless: true,
    args: [
      // Tests run as root in CI, where chromium's sandbox cannot start.
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-gpu",
    ],
  });
}
