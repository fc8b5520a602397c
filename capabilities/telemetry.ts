import { a, Capability } from "pepr";
import { KINDS, TELEMETRY_GROUP } from "../mesh/api";
import { TELEMETRY_KINDS } from "../mesh/store";
import { fold } from "./watch-into-mesh";

/**
 * Telemetry: the Telemetry kind watched into the mesh store, so every connected proxy's listeners
 * carry the access logs, `istio.stats` metrics and tracing it resolves to. Admission validation
 * of the kind lives in `config-validation`.
 */
export const Telemetry = new Capability({
  name: "telemetry",
  description: "Watches Telemetry and compiles the access logs, metrics and tracing proxies emit.",
});

const { When } = Telemetry;

for (const kind of TELEMETRY_KINDS) {
  // The CRD's plural: Pepr would otherwise watch `telemetrys`, which 404s.
  const gvk = { group: TELEMETRY_GROUP, version: "v1", kind, plural: KINDS[kind].plural };
  When(a.GenericKind, gvk).IsCreatedOrUpdated().Watch(fold(kind));
  When(a.GenericKind, gvk).IsDeleted().Watch(fold(kind));
}
