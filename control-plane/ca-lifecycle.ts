import type { ControlPlaneLogger } from "./logger";
import type { MeshCa } from "./mesh-ca";
import type { RootCertPublisher } from "./root-cert-configmaps";
import { errorText } from "./tls-listener";

/**
 * The CA's start: bootstrap (load or create the root; a failure is logged and certificate
 * requests are refused until it is fixed), then, where this process publishes roots, publish
 * `istio-ca-root-cert` now and on every root change. Returns the unsubscribers.
 */
export async function startCa(
  ca: MeshCa,
  publisher: RootCertPublisher | undefined,
  logger: ControlPlaneLogger,
): Promise<Array<() => void>> {
  try {
    await ca.bootstrap();
  } catch (err) {
    logger.error({ err: errorText(err) }, "CA bootstrap failed; certificate requests are refused");
  }
  if (!publisher) return [];
  const unsubscribe = ca.onChange(() => void publisher.publishEverywhere().catch(() => 0));
  if (ca.bundle()) {
    await publisher
      .publishEverywhere()
      .catch(err =>
        logger.warn({ err: errorText(err) }, "could not list namespaces to publish the root"),
      );
  }
  return [unsubscribe];
}
