// The demo's gRPC service, without .proto files: `shop.Reviews` with `Get` (answers the serving
// version) and `Delete` (the method the demo's AuthorizationPolicy denies).
import * as grpc from "@grpc/grpc-js";

const raw = (b: Buffer): Buffer => b;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
});

/** The gRPC paths, as AuthorizationPolicy `paths` name them. */
export const GET = "/shop.Reviews/Get";
export const DELETE = "/shop.Reviews/Delete";

/** `shop.Reviews`. */
export const REVIEWS_SERVICE: grpc.ServiceDefinition = { Get: method(GET), Delete: method(DELETE) };

/** A reviews backend of `version`. */
export function reviewsHandlers(version: string): grpc.UntypedServiceImplementation {
  const answer = (text: string) => (_: unknown, done: grpc.sendUnaryData<Buffer>) =>
    done(null, Buffer.from(text));
  return { Get: answer(version), Delete: answer(`deleted by ${version}`) };
}

/** One call's outcome: the answer, or the status code name and details. */
export type CallResult = { ok: true; value: string } | { ok: false; code: string; details: string };

/** Calls `path` once. */
export function call(client: grpc.Client, path: string, deadlineMs = 5_000): Promise<CallResult> {
  return new Promise(resolve =>
    client.makeUnaryRequest(
      path,
      raw,
      raw,
      Buffer.alloc(0),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, value?: Buffer) =>
        resolve(
          err
            ? { ok: false, code: grpc.status[err.code] ?? String(err.code), details: err.details }
            : { ok: true, value: String(value) },
        ),
    ),
  );
}

/** How a result reads in the demo: the answer, or `CODE: details`. */
export function describeResult(r: CallResult): string {
  if (r.ok) return r.value;
  // grpc-js appends a timestamp and an empty resolution note to connection failures.
  const details = r.details
    .replace(/ \(\d{4}-\d\d-\d\dT[^)]*\)/, "")
    .replace(/\.?\s*Resolution note:\s*$/, "");
  return `${r.code}: ${details}`;
}

/** `n` calls of `path`, 50 at a time, counted by what they answered. */
export async function countCalls(
  client: grpc.Client,
  path: string,
  n: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let done = 0; done < n; done += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - done) }, () => call(client, path)),
    );
    for (const r of batch) {
      const key = r.ok ? r.value : r.code;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}
