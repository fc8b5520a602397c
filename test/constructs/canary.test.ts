import * as kplus from "cdk8s-plus-27";
import { Canary, type CanaryProps } from "../../constructs";
import { meshProblems, synth, synthError, testChart, type Manifest } from "./synth";

const v1 = { app: "reviews", version: "v1" };
const v2 = { app: "reviews", version: "v2" };
const host = "reviews.default.svc.cluster.local";

function canary(props: Partial<CanaryProps> = {}): { out: Manifest[]; canary: Canary } {
  const chart = testChart();
  const c = new Canary(chart, "canary", {
    name: "reviews",
    service: host,
    stable: v1,
    candidate: v2,
    port: 9080,
    ...props,
  });
  return { out: synth(chart), canary: c };
}

const route = (subset: string, weight?: number) => ({
  destination: { host, port: { number: 9080 }, subset },
  ...(weight !== undefined ? { weight } : {}),
});

describe("Canary", () => {
  it("defines the subsets and splits traffic by the first step", () => {
    const { out } = canary({ steps: [10, 50, 100] });
    expect(out).toEqual([
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "reviews" },
        spec: {
          host,
          subsets: [
            { name: "stable", labels: v1 },
            { name: "candidate", labels: v2 },
          ],
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "reviews" },
        spec: {
          hosts: [host],
          http: [{ name: "canary", route: [route("stable", 90), route("candidate", 10)] }],
        },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it.each([
    [0, 100, 0],
    [1, 95, 5],
    [2, 75, 25],
    [4, 0, 100],
  ])("at step %i sends %i%% to stable and %i%% to the candidate", (step, stable, candidate) => {
    const { out } = canary({ steps: [5, 25, 50, 100], step });
    expect((out[1]!.spec as { http: { route: unknown }[] }).http[0]!.route).toEqual([
      route("stable", stable),
      route("candidate", candidate),
    ]);
  });

  it("yields one manifest per step, the rollback first", () => {
    const { canary: c } = canary({ steps: [5, 25, 50, 100], step: 2 });
    const steps = c.stepManifests();
    expect(steps.map(s => [s.step, s.candidateWeight])).toEqual([
      [0, 0],
      [1, 5],
      [2, 25],
      [3, 50],
      [4, 100],
    ]);
    expect(steps[2]!.manifest).toEqual({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "reviews" },
      spec: {
        hosts: [host],
        http: [{ name: "canary", route: [route("stable", 75), route("candidate", 25)] }],
      },
    });
    expect(meshProblems(steps.map(s => s.manifest as unknown as Manifest))).toEqual([]);
  });

  it("dark-launches by header and by user, and mirrors", () => {
    const { out } = canary({
      darkLaunch: { headers: { "x-canary": "yes" }, users: ["jason", "ann"] },
      mirrorPercent: 20,
    });
    expect((out[1]!.spec as { http: unknown[] }).http).toEqual([
      {
        name: "dark-launch-headers",
        match: [{ headers: { "x-canary": { exact: "yes" } } }],
        route: [route("candidate")],
      },
      {
        name: "dark-launch-users",
        match: [
          { headers: { "end-user": { exact: "jason" } } },
          { headers: { "end-user": { exact: "ann" } } },
        ],
        route: [route("candidate")],
      },
      {
        name: "canary",
        route: [route("stable", 90), route("candidate", 10)],
        mirror: { host, port: { number: 9080 }, subset: "candidate" },
        mirrorPercentage: { value: 20 },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it("accepts cdk8s-plus Deployments and Services", () => {
    const chart = testChart("shop");
    const mk = (id: string) =>
      new kplus.Deployment(chart, id, { containers: [{ image: "reviews", portNumber: 9080 }] });
    const stable = mk("v1");
    const candidate = mk("v2");
    const svc = new kplus.Service(chart, "svc", {
      metadata: { name: "reviews" },
      ports: [{ port: 9080 }],
    });
    new Canary(chart, "canary", { service: svc, stable, candidate });
    const out = synth(chart);
    const dr = out.find(m => m.kind === "DestinationRule")!;
    expect(dr.spec).toEqual({
      host: "reviews.shop.svc.cluster.local",
      subsets: [
        { name: "stable", labels: stable.matchLabels },
        { name: "candidate", labels: candidate.matchLabels },
      ],
    });
    expect(meshProblems(out)).toEqual([]);
  });

  it.each<[string, Partial<CanaryProps>, string]>([
    [
      "a subset with no labels",
      { candidate: {} },
      "test/canary: props.candidate: selects no labels: a subset or selector needs at least one",
    ],
    [
      "a bad label",
      { stable: { "bad key!": "x" } },
      'test/canary: props.stable[bad key!]: invalid label key: "bad key!"',
    ],
    [
      "the same pods",
      { candidate: { app: "reviews", version: "v1" } },
      "test/canary: props.candidate: selects the same pods as props.stable",
    ],
    [
      "a candidate that selects the stable pods too",
      { candidate: { app: "reviews" } },
      "test/canary: props.candidate: selects the same pods as props.stable",
    ],
    [
      "steps that do not increase",
      { steps: [10, 10, 100] },
      "test/canary: props.steps[1]: 10 must be greater than the step before (10)",
    ],
    [
      "a step weight over 100",
      { steps: [50, 120] },
      "test/canary: props.steps[1]: 120 must be an integer from 1 to 100",
    ],
    ["no steps", { steps: [] }, "test/canary: props.steps: needs at least one step"],
    [
      "a step past the list",
      { steps: [50, 100], step: 3 },
      "test/canary: props.step: 3 must be an integer from 0 to 2",
    ],
    [
      "equal subset names",
      { subsetNames: { stable: "v", candidate: "v" } },
      "test/canary: props.subsetNames: stable and candidate need different names",
    ],
    [
      "a bad subset name",
      { subsetNames: { stable: "V1", candidate: "v2" } },
      'test/canary: props.subsetNames.stable: "V1" is not a DNS-1123 label',
    ],
    [
      "a mirror over 100%",
      { mirrorPercent: 101 },
      "test/canary: props.mirrorPercent: 101 must be an integer from 0 to 100",
    ],
    ["no users", { darkLaunch: { users: [] } }, "test/canary: props.darkLaunch.users: is empty"],
  ])("refuses %s", (_, props, message) => {
    expect(() => canary(props)).toThrow(message);
  });

  it("fails synth naming the path and prop when the validators refuse the service host", () => {
    const chart = testChart();
    new Canary(chart, "canary", { name: "r", service: "not a host", stable: v1, candidate: v2 });
    expect(synthError(chart)).toContain(
      '[test/canary] props.service: DestinationRule default/r: spec.host: domain name "not a host" invalid',
    );
  });
});
