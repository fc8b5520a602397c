/**
 * A sidecar in `default` next to the services its telemetry names (web, and a zipkin collector in
 * istio-system), compiled with Telemetry resources, and the HTTP connection managers its
 * listeners carry, decoded from protobuf: what the telemetry/ tests assert on.
 */
import { compile, type CompiledResources } from "../../../../xds/compile";
import type { MeshOptions } from "../../../../xds/compile/scope";
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { checkedSnapshot, decoded, istioObject, named, sidecarNode } from "../fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

function service(name: string, namespace: string, ports: Json[], selector?: Json): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP: "10.96.0.30", ...(selector ? { selector } : {}), ports },
  } as unknown as StoreObject;
}

const WEB = service(
  "web",
  "default",
  [
    { name: "http", port: 80 },
    { name: "tcp-db", port: 5432 },
  ],
  {
    app: "web",
  },
);
const ZIPKIN = service("zipkin", "istio-system", [{ name: "http", port: 9411 }]);
const NODE = sidecarNode("10.0.0.5", "web-0", "default", { app: "web" });
export const telemetry = (name: string, ns: string, spec: Json) =>
  istioObject("Telemetry", name, ns, spec);

/** Compiles; every resource must pass the encoder and reference check. */
export function build(objects: StoreObject[], mesh: MeshOptions = {}, node: object = NODE) {
  const r = compile(storeOf([WEB, ZIPKIN, ...objects]), node as { id: string }, mesh);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value);
  return r.value;
}

export const listener = (r: CompiledResources, name: string): Json =>
  decoded(named(r.listeners, name));
const hcmOf = (chain: Json): Json =>
  chain.filters.find((f: Json) => f.name === "envoy.filters.network.http_connection_manager")
    .typed_config;
/** The outbound HTTP listener's HCM and the inbound HTTP chain's HCM, decoded. */
export function hcms(r: CompiledResources): { outbound: Json; inbound: Json } {
  const out = listener(r, "0.0.0.0_80");
  const inbound = listener(r, "virtualInbound");
  const chain = (l: Json) => l.filter_chains.find((c: Json) => hcmOfSafe(c));
  return { outbound: hcmOf(chain(out)), inbound: hcmOf(chain(inbound)) };
}
function hcmOfSafe(chain: Json): boolean {
  return (chain.filters ?? []).some(
    (f: Json) => f.name === "envoy.filters.network.http_connection_manager",
  );
}
