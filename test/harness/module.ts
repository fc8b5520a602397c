import { runDev, type DevOptions, type DevSession } from "../../cli/dev/runner";

/**
 * Runs the built module (`npm run build` writes `dist/`) against the cluster in KUBECONFIG for
 * an admission test. Its xDS ports stay closed unless the test asks for them, so that tests never
 * contend with each other, or with a `rig dev` a developer has running, for 15010 and 15012.
 */
export function startTestModule(options: DevOptions = {}): Promise<DevSession> {
  return runDev({
    build: false,
    ...options,
    env: { RIGGING_XDS_ADDRESS: "off", RIGGING_XDS_TLS_ADDRESS: "off", ...options.env },
  });
}
