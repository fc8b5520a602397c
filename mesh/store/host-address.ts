/**
 * Where a pod is reached when its workload runs on the host instead of in the pod: `rig dev`
 * and `npm start` run Rigging beside a local cluster whose nodes are kwok's fakes, so a pod's IP
 * (from the node's pod CIDR) leads nowhere, and the API server refuses loopback addresses in
 * EndpointSlices. A process that plays the pod on this machine annotates the pod with the
 * loopback address it listens on; a store built with `hostAddresses` (only `rig dev` asks for
 * it) then lists that address instead of the pod IP. Anything but a 127.0.0.0/8 address is
 * ignored, so the annotation can never send traffic off the machine.
 */
import type { KubePod } from "./kube-types";

/** The annotation naming the loopback address a pod's host process listens on. */
export const HOST_ADDRESS_ANNOTATION = "rigging.dev/host-address";

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The pod's host address, if it names one in 127.0.0.0/8. */
export function hostAddressOf(pod: KubePod | undefined): string | undefined {
  const value = pod?.metadata.annotations?.[HOST_ADDRESS_ANNOTATION]?.trim();
  const m = value ? LOOPBACK_V4.exec(value) : null;
  if (!m || m.slice(1).some(octet => Number(octet) > 255)) return undefined;
  return value;
}
