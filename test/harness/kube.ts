import type { LocalCluster } from "./cluster";

/** Polls `probe` until it returns a value other than `undefined`, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

/** GET a path and return the JSON body, failing the test on anything but 200. */
export async function getJson<T>(cluster: LocalCluster, path: string): Promise<T> {
  const res = await cluster.api("GET", path);
  if (res.status !== 200)
    throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** POST an object and return the stored object, failing the test on anything but 201. */
export async function create<T>(cluster: LocalCluster, path: string, obj: unknown): Promise<T> {
  const res = await cluster.api("POST", path, obj);
  if (res.status !== 201)
    throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}
