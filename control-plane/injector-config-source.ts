/**
 * The injector's settings as the cluster sets them: the `istio-sidecar-injector` ConfigMap
 * (chart values and injector config) and the `istio` ConfigMap's mesh config (`defaultConfig`
 * and friends), both in istiod's namespace. Every process that injects (the admission pods, the
 * watcher, `rig dev`) follows them, so a change reaches the next pod admitted without a restart.
 *
 * A valid ConfigMap replaces what came from it; a malformed one is refused whole, named with its
 * field path and rule in a structured error log line and counted in
 * `rigging_injector_config_loads_total{result="rejected"}`, and the previous settings stay.
 * Deleting a ConfigMap returns its part to Rigging's defaults.
 */
import type { Counter } from "prom-client";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectorConfigFromConfigMap,
  injectorMeshFromConfigMap,
  type InjectionValues,
  type MeshSettings,
} from "../mesh/inject";
import type { ControlPlaneLogger } from "./logger";
import type { ConfigMapObject } from "./mesh-config-source";

/** What the injector renders from. */
export interface InjectorSettings {
  readonly mesh: MeshSettings;
  readonly values: InjectionValues;
}

/** Who the source reports to. */
export interface InjectorConfigSourceOptions {
  readonly logger: ControlPlaneLogger;
  /** Loads by `configmap` (namespace/name) and `result`: applied, unchanged, rejected, defaults. */
  readonly loads?: Counter<"configmap" | "result">;
  /** The settings before (and after deletion of) the ConfigMaps. @default Rigging's defaults */
  readonly base?: InjectorSettings;
}

/** A ConfigMap watch callback: the object and the watch phase (ADDED, MODIFIED, DELETED). */
export type ConfigMapWatch = (configMap: ConfigMapObject, phase: string) => void;

const sourceOf = (cm: ConfigMapObject) =>
  `${cm.metadata?.namespace ?? ""}/${cm.metadata?.name ?? ""}`;

/** The injector's current settings, following the two ConfigMaps. */
export class InjectorConfigSource {
  readonly #logger: ControlPlaneLogger;
  readonly #loads?: Counter<"configmap" | "result">;
  readonly #base: InjectorSettings;
  #mesh: MeshSettings;
  #values: InjectionValues;
  #notesLogged = "";

  constructor(options: InjectorConfigSourceOptions) {
    this.#logger = options.logger;
    this.#loads = options.loads;
    this.#base = options.base ?? { mesh: defaultMeshSettings(), values: defaultInjectionValues() };
    this.#mesh = this.#base.mesh;
    this.#values = this.#base.values;
  }

  /** The settings the next injection uses. */
  get current(): InjectorSettings {
    return { mesh: this.#mesh, values: this.#values };
  }

  /** Follows the `istio-sidecar-injector` ConfigMap. */
  readonly onInjectorConfigMap: ConfigMapWatch = (configMap, phase) => {
    const source = sourceOf(configMap);
    if (phase === "DELETED") {
      this.#values = this.#base.values;
      this.#count(source, "defaults");
      this.#logger.info({ configMap: source }, "injector ConfigMap deleted: Rigging's defaults");
      return;
    }
    const parsed = injectorConfigFromConfigMap(configMap, this.#base.values);
    if (!parsed.ok) return this.#refuse(source, parsed.errors);
    this.#logNotes(source, parsed.notes);
    if (JSON.stringify(parsed.value) === JSON.stringify(this.#values))
      return this.#count(source, "unchanged");
    this.#values = parsed.value;
    this.#count(source, "applied");
    const { hub, tag } = parsed.value.global;
    const policy = parsed.value.global.proxy.autoInject;
    this.#logger.info({ configMap: source, hub, tag, policy }, "injector config applied");
  };

  /** Follows the `istio` ConfigMap's mesh config (the fields injection reads). */
  readonly onMeshConfigMap: ConfigMapWatch = (configMap, phase) => {
    const source = sourceOf(configMap);
    if (phase === "DELETED") {
      this.#mesh = this.#base.mesh;
      this.#count(source, "defaults");
      this.#logger.info({ configMap: source }, "mesh ConfigMap deleted: injection uses defaults");
      return;
    }
    const parsed = injectorMeshFromConfigMap(configMap, this.#base.mesh);
    if (!parsed.ok) return this.#refuse(source, parsed.errors);
    if (JSON.stringify(parsed.value) === JSON.stringify(this.#mesh))
      return this.#count(source, "unchanged");
    this.#mesh = parsed.value;
    this.#count(source, "applied");
    this.#logger.info(
      { configMap: source, defaultConfig: parsed.value.meshConfig.defaultConfig },
      "mesh config applied to injection",
    );
  };

  #refuse(source: string, errors: readonly string[]): void {
    this.#count(source, "rejected");
    this.#logger.error(
      { configMap: source, errors: errors.slice(0, 20) },
      "injection config refused: the previous settings stay in effect for new pods",
    );
  }

  #logNotes(source: string, notes: readonly string[]): void {
    const text = notes.join("\n");
    if (notes.length > 0 && text !== this.#notesLogged)
      this.#logger.info({ configMap: source, notes }, "injector config fields not acted on");
    this.#notesLogged = text;
  }

  #count(configmap: string, result: string): void {
    this.#loads?.inc({ configmap, result });
  }
}
