import https from "node:https";
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { SidecarInjection } from "./capabilities/sidecar-injection";
import { ConfigValidation } from "./capabilities/config-validation";
import { installIstioCrds, installsCrds } from "./capabilities/istio-crds";
import { CertIssuance } from "./capabilities/cert-issuance";
import { RouteCompilation } from "./capabilities/route-compilation";
import { PeerAuthentication } from "./capabilities/peer-authentication";
import { Telemetry } from "./capabilities/telemetry";
import { runsControlPlane } from "./control-plane/config";
import { startMeshControlPlane } from "./control-plane/instance";
import { watchInjectorConfig } from "./control-plane/injector-config-watch";
import { watchNamespaces } from "./control-plane/namespace-cache";
import { keepAdmissionConnectionsOpen } from "./control-plane/admission-keep-alive";

/**
 * Rigging's entry point: the mesh capabilities, in the order a request meets them.
 *
 * Pepr loads this file with PEPR_MODE=build to read the capabilities, so nothing here may listen
 * or connect at import time: the admission server starts only outside build mode, on
 * RIGGING_ADMISSION_PORT when `rig dev` runs several modules side by side (3000 in a cluster).
 */
const mesh = new PeprModule(
  cfg,
  [
    SidecarInjection,
    ConfigValidation,
    CertIssuance,
    RouteCompilation,
    PeerAuthentication,
    Telemetry,
  ],
  {
    deferStart: true,
  },
);

if (process.env.PEPR_MODE !== "build") {
  // Before Pepr creates its admission server: idle connections outlive the API server's.
  keepAdmissionConnectionsOpen(https);
  mesh.start(Number(process.env.RIGGING_ADMISSION_PORT ?? 3000));
  // Every process that admits pods follows the injection ConfigMaps itself: Pepr runs Watch
  // actions only in the watcher, but the admission pods are the ones that inject.
  watchInjectorConfig();
  // And Namespaces, which every pod admission reads (a cache, not a GET per webhook call).
  watchNamespaces();
  // The watcher (or a dev process) owns the Istio CRDs; a failure is logged, not fatal, so
  // admission keeps serving whatever CRDs the cluster already has.
  if (installsCrds())
    installIstioCrds().catch(err => console.error(`installing the Istio CRDs failed: ${err}`));
  // xDS (15010) and xDS + CA (15012) run in the watcher only, or in the one `rig dev` process;
  // a port that cannot be bound is logged and admission keeps running.
  if (runsControlPlane(process.env)) startMeshControlPlane();
}
