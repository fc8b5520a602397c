/**
 * PeerAuthentication: the mutual TLS mode a workload accepts.
 * https://istio.io/latest/docs/reference/config/security/peer_authentication/
 */
import { WorkloadSelector } from "./common";
import { enumOf, map, object, type Infer } from "./schema";

/** The mTLS mode. */
export const MtlsMode = enumOf(["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]);

/** mTLS settings. */
export const MutualTls = object({ mode: MtlsMode });

/** The PeerAuthentication spec. */
export const PeerAuthenticationSpec = object(
  {
    mtls: MutualTls,
    portLevelMtls: map(MutualTls, {
      keys: "uint32",
      minProperties: 1,
      description: "Port specific mutual TLS settings, keyed by port number.",
    }),
    selector: WorkloadSelector,
  },
  {
    description:
      "Peer authentication configuration for workloads. See https://istio.io/docs/reference/config/security/peer_authentication.html",
  },
);
/** @see PeerAuthenticationSpec */
export type PeerAuthenticationSpec = Infer<typeof PeerAuthenticationSpec>;
