import { PeprModule } from "pepr";
import cfg from "./package.json";
import { SidecarInjection } from "./capabilities/sidecar-injection";

/**
 * Rigging's entry point: the mesh capabilities, in the order a request meets them.
 *
 * Pepr loads this file with PEPR_MODE=build to read the capabilities, so nothing here may listen
 * or connect at import time: the admission server starts only outside build mode, on
 * RIGGING_ADMISSION_PORT when `rig dev` runs several modules side by side (3000 in a cluster).
 */
const mesh = new PeprModule(cfg, [SidecarInjection], { deferStart: true });

if (process.env.PEPR_MODE !== "build") {
  mesh.start(Number(process.env.RIGGING_ADMISSION_PORT ?? 3000));
}
