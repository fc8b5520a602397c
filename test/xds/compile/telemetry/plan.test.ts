/**
 * What the applicable Telemetries (root, namespace, workload; later refines earlier) plan for one
 * side of a proxy: access log providers and filters, metric overrides, tracing settings.
 */
import type { Telemetry } from "../../../../mesh/api";
import { DEFAULT_MESH_CONFIG, type MeshConfig } from "../../../../mesh/meshconfig/mesh-config";
import { planAccessLogs, planMetrics, planTracing } from "../../../../xds/compile/telemetry/plan";

const telemetry = (spec: Telemetry["spec"]): Telemetry =>
  ({ metadata: { name: "t", namespace: "default" }, spec }) as Telemetry;
const mesh = (defaults: Partial<MeshConfig["defaultProviders"]> = {}): MeshConfig => ({
  ...DEFAULT_MESH_CONFIG,
  defaultProviders: { ...DEFAULT_MESH_CONFIG.defaultProviders, ...defaults },
});

describe("planAccessLogs", () => {
  it("nothing says anything about logging: undefined, so accessLogFile applies", () => {
    expect(planAccessLogs([], mesh(), "CLIENT")).toBeUndefined();
  });

  it("default providers log with no Telemetry", () => {
    expect(planAccessLogs([], mesh({ accessLogging: ["envoy"] }), "SERVER")).toEqual([
      { provider: "envoy" },
    ]);
  });

  it("a workload level disables the mesh level's provider on its side only", () => {
    const root = telemetry({
      accessLogging: [{ providers: [{ name: "envoy" }], filter: { expression: "true" } }],
    });
    const workload = telemetry({ accessLogging: [{ match: { mode: "SERVER" }, disabled: true }] });
    expect(planAccessLogs([root, workload], mesh(), "CLIENT")).toEqual([
      { provider: "envoy", filter: "true" },
    ]);
    expect(planAccessLogs([root, workload], mesh(), "SERVER")).toEqual([]);
  });
});

describe("planMetrics", () => {
  it("by default: the mesh's providers, nothing overridden", () => {
    expect(planMetrics([], mesh(), "CLIENT")).toEqual({
      providers: ["prometheus"],
      disabled: false,
      overrides: [],
    });
  });

  it("tag overrides and a disabled metric, for the side the override matches", () => {
    const t = telemetry({
      metrics: [
        {
          overrides: [
            {
              match: { metric: "REQUEST_COUNT", mode: "SERVER" },
              tagOverrides: { b: { value: "x" }, a: { operation: "REMOVE" } },
            },
            { match: { metric: "REQUEST_SIZE" }, disabled: true },
          ],
        },
      ],
    });
    expect(planMetrics([t], mesh(), "SERVER").overrides).toEqual([
      {
        name: "REQUEST_COUNT",
        disabled: false,
        tags: [
          { name: "a", remove: true },
          { name: "b", remove: false, value: "x" },
        ],
      },
      { name: "REQUEST_SIZE", disabled: true, tags: [] },
    ]);
    expect(planMetrics([t], mesh(), "CLIENT").overrides.map(o => o.name)).toEqual(["REQUEST_SIZE"]);
  });

  it("disabling all metrics disables the side; a later level can bring them back", () => {
    const off = telemetry({ metrics: [{ overrides: [{ disabled: true }] }] });
    const on = telemetry({ metrics: [{ overrides: [{ disabled: false }] }] });
    expect(planMetrics([off], mesh(), "CLIENT").disabled).toBe(true);
    expect(planMetrics([off, on], mesh(), "CLIENT").disabled).toBe(false);
  });
});

describe("planTracing", () => {
  it("no provider anywhere: no tracing", () => {
    expect(
      planTracing([telemetry({ tracing: [{ randomSamplingPercentage: 5 }] })], mesh(), "CLIENT"),
    ).toBeUndefined();
  });

  it("the more specific level's settings win; custom tags accumulate", () => {
    const root = telemetry({
      tracing: [
        { providers: [{ name: "zipkin" }], customTags: { a: { literal: { value: "1" } } } },
      ],
    });
    const workload = telemetry({
      tracing: [{ randomSamplingPercentage: 50, customTags: { b: { literal: { value: "2" } } } }],
    });
    expect(planTracing([root, workload], mesh(), "CLIENT")).toEqual({
      provider: "zipkin",
      randomSamplingPercentage: 50,
      disableSpanReporting: false,
      customTags: { a: { literal: { value: "1" } }, b: { literal: { value: "2" } } },
    });
  });

  it("enableTracing: false turns tracing off whatever Telemetry says", () => {
    const t = telemetry({ tracing: [{ providers: [{ name: "zipkin" }] }] });
    expect(planTracing([t], { ...mesh(), enableTracing: false }, "CLIENT")).toBeUndefined();
  });
});
