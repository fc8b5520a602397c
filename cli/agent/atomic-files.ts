import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";

/**
 * Replaces a set of files at once, the way the kubelet updates projected volumes (its
 * `AtomicWriter`): the files go into a fresh hidden folder, a `..data` symlink is switched to
 * it with one `rename` (atomic on POSIX), and each visible name is a symlink through `..data`.
 * A reader — grpc-js's `file_watcher` provider reads certificate, key and roots separately —
 * therefore never sees a new certificate next to the old key.
 */

const DATA = "..data";
const PREFIX = "..certs-";

/** A file to write and its permission bits. */
export interface FileContent {
  readonly text: string;
  /** @default 0o644 */
  readonly mode?: number;
}

/** Writes every file of `files` into `dir` as one atomic update. */
export function writeFilesAtomically(
  dir: string,
  files: Readonly<Record<string, FileContent>>,
): void {
  mkdirSync(dir, { recursive: true });
  const generation = mkdtempSync(join(dir, PREFIX));
  for (const [name, file] of Object.entries(files)) {
    if (name.includes("/") || name.startsWith(".."))
      throw new Error(`file name "${name}" is not a plain name`);
    writeDurably(join(generation, name), file.text, file.mode ?? 0o644);
  }
  swapSymlink(join(dir, DATA), basename(generation));
  for (const name of Object.keys(files)) {
    const target = join(DATA, name);
    if (symlinkTarget(join(dir, name)) !== target) swapSymlink(join(dir, name), target);
  }
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith(PREFIX) && entry !== basename(generation)) {
      rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
}

function writeDurably(path: string, text: string, mode: number): void {
  const fd = openSync(path, "wx", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Points `link` at `target` by renaming a fresh symlink over it (atomic, even over a file). */
function swapSymlink(link: string, target: string): void {
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

function symlinkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}
