/**
 * A mutating webhook that does no work: it answers every AdmissionReview at once with a patch it
 * was given (or none). In bench/admission.bench.ts it is the floor under any injector on the
 * same API server: what the call itself costs (TLS, the AdmissionReview both ways, the API server
 * applying the patch and storing the larger pod) when the webhook's own time is nil. Loopback
 * only; the API server trusts it through `caPem`.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createCa, issueLocalServingCert } from "../cli/local-cluster/pki";
import { keepIdleConnections } from "../control-plane/admission-keep-alive";

/**
 * The patch (JSON Patch text) to answer a pod with; called per request, so it must do its work
 * once and only adapt the result per pod.
 */
export type PatchFor = (pod: unknown) => string;

export interface InstantWebhook {
  readonly url: string;
  readonly caPem: string;
  /** Answers from now on with `patchFor`'s ops, or with no patch when undefined. */
  answerWith(patchFor: PatchFor | undefined): void;
  /** Requests answered so far. */
  readonly calls: () => number;
  stop(): Promise<void>;
}

export async function startInstantWebhook(): Promise<InstantWebhook> {
  const ca = createCa("rigging-bench-instant-webhook");
  const serving = issueLocalServingCert(ca, "instant-webhook");
  let patchFor: PatchFor | undefined;
  let calls = 0;
  const server: Server = keepIdleConnections(
    createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        calls++;
        const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          apiVersion: string;
          request: { uid: string; object: unknown };
        };
        const patch = patchFor?.(review.request.object);
        const response = {
          uid: review.request.uid,
          allowed: true,
          ...(patch
            ? { patchType: "JSONPatch", patch: Buffer.from(patch).toString("base64") }
            : {}),
        };
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({ apiVersion: review.apiVersion, kind: "AdmissionReview", response }),
        );
      });
    }),
  );
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/mutate`,
    caPem: ca.certPem,
    answerWith(next) {
      patchFor = next;
    },
    calls: () => calls,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
