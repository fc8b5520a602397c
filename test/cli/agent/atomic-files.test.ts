import { lstatSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFilesAtomically } from "../../../cli/agent/atomic-files";
import { scratchDir } from "../../ca/fixtures";

describe("writeFilesAtomically", () => {
  const tmp = scratchDir();
  afterAll(() => tmp.cleanup());

  it("publishes every file through one ..data symlink and keeps only the newest generation", () => {
    writeFileSync(tmp.path("cert-chain.pem"), "stale regular file");
    writeFilesAtomically(tmp.dir, {
      "cert-chain.pem": { text: "chain-1" },
      "key.pem": { text: "key-1", mode: 0o600 },
    });
    const first = readdirSync(tmp.dir).filter(e => e.startsWith("..certs-"));
    writeFilesAtomically(tmp.dir, {
      "cert-chain.pem": { text: "chain-2" },
      "key.pem": { text: "key-2", mode: 0o600 },
    });
    expect(readFileSync(tmp.path("cert-chain.pem"), "utf8")).toBe("chain-2");
    expect(readFileSync(tmp.path("key.pem"), "utf8")).toBe("key-2");
    expect(lstatSync(tmp.path("key.pem")).isSymbolicLink()).toBe(true);
    expect(lstatSync(tmp.path("..data")).isSymbolicLink()).toBe(true);
    expect(statSync(tmp.path("key.pem")).mode & 0o777).toBe(0o600);
    const generations = readdirSync(tmp.dir).filter(e => e.startsWith("..certs-"));
    expect(generations).toHaveLength(1);
    expect(generations).not.toEqual(first);
    expect(readdirSync(tmp.dir).filter(e => e.includes(".tmp-"))).toEqual([]);
  });

  it("refuses names that would escape the folder", () => {
    expect(() => writeFilesAtomically(join(tmp.dir, "x"), { "../evil": { text: "" } })).toThrow(
      /not a plain name/,
    );
  });
});
