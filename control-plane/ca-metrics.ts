/**
 * The CA's metrics on the module's `/metrics`: what operators watch when workloads cannot get
 * certificates (refusals by reason) or get them slowly (TokenReview and signing time).
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { CertificateCallObserver } from "../ca/server/serve";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Creates the CA's metrics on `registry` and returns the observer `addCertificateService` calls. */
export function caCallObserver(registry: Registry): CertificateCallObserver {
  const requests = new Counter({
    name: "rigging_ca_certificate_requests_total",
    help: "CreateCertificate calls answered, by result (issued, or the refusal's gRPC status: unauthenticated, invalid_argument, unavailable, internal)",
    labelNames: ["result"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "rigging_ca_certificate_duration_seconds",
    help: "Time to answer one CreateCertificate call (token review and signing), by result",
    labelNames: ["result"],
    buckets: BUCKETS,
    registers: [registry],
  });
  return (result, seconds) => {
    requests.inc({ result });
    duration.observe({ result }, seconds);
  };
}
