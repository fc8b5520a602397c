/**
 * Canary: progressive delivery of a candidate version next to a stable one. Produces a
 * DestinationRule with the two subsets and a VirtualService splitting traffic by the current
 * step, with optional dark launch (by header or user) and mirroring. Step 0 is the rollback.
 */
import { Construct } from "constructs";
import { DestinationRule } from "./generated/destination-rule";
import {
  VirtualService,
  type VirtualServiceManifest,
  type VirtualServiceSpec,
  type VirtualServiceSpecHttp,
} from "./generated/virtual-service";
import { checkProp, dnsLabel, intInRange, propError } from "./lib/errors";
import { hostOf, portOf, type Backend } from "./lib/hosts";
import { podLabels, selectorLabels, selects, type Labels, type WorkloadTarget } from "./lib/labels";
import { validateWithMesh } from "./lib/mesh-validation";

/** Requests that go to the candidate whatever the step: testers, not users. */
export interface CanaryDarkLaunch {
  /**
   * Requests carrying all of these headers (exact values) go to the candidate.
   * @default - no header match
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Requests from these users go to the candidate (matched on `userHeader`).
   * @default - no user match
   */
  readonly users?: readonly string[];
  /**
   * The header that names the user, as set by the front end (Bookinfo's `end-user`).
   * @default "end-user"
   */
  readonly userHeader?: string;
}

/** Props of {@link Canary}. */
export interface CanaryProps {
  /** The service both versions serve: a cdk8s-plus Service or Deployment, or a host name. */
  readonly service: Backend;
  /** The version serving users now: a cdk8s-plus Deployment or the labels of its pods. */
  readonly stable: WorkloadTarget;
  /** The version being rolled out; it must not select the stable pods. */
  readonly candidate: WorkloadTarget;
  /**
   * Percent of traffic the candidate gets at each step, increasing, each from 1 to 100.
   * @default [10, 50, 100]
   */
  readonly steps?: readonly number[];
  /**
   * The current step, 1-based into `steps`; 0 sends everything to stable (the rollback).
   * @default 1
   */
  readonly step?: number;
  /**
   * Requests routed to the candidate at every step, before the split.
   * @default - none
   */
  readonly darkLaunch?: CanaryDarkLaunch;
  /**
   * Percent of the split traffic also mirrored (fire and forget) to the candidate.
   * @default - no mirroring
   */
  readonly mirrorPercent?: number;
  /**
   * The service port to route.
   * @default - the first port of the Service; none for a host name
   */
  readonly port?: number;
  /**
   * Subset names.
   * @default { stable: "stable", candidate: "candidate" }
   */
  readonly subsetNames?: { readonly stable: string; readonly candidate: string };
  /**
   * Name of the DestinationRule and VirtualService.
   * @default - names cdk8s generates
   */
  readonly name?: string;
}

/** The VirtualService of one step, for pipelines that apply the steps in turn. */
export interface CanaryStepManifest {
  /** The step, 0 being the rollback. */
  readonly step: number;
  /** Percent of traffic the candidate gets. */
  readonly candidateWeight: number;
  /** The VirtualService to apply for this step. */
  readonly manifest: VirtualServiceManifest;
}

/** A canary rollout of one service. */
export class Canary extends Construct {
  /** The DestinationRule defining the stable and candidate subsets. */
  public readonly destinationRule: DestinationRule;
  /** The VirtualService splitting traffic at the current step. */
  public readonly virtualService: VirtualService;
  /** Candidate percent per step (step i is `steps[i - 1]`). */
  public readonly steps: readonly number[];
  /** The current step. */
  public readonly step: number;
  private readonly host: string;
  private readonly port?: number;
  private readonly subsets: { readonly stable: string; readonly candidate: string };
  private readonly props: CanaryProps;

  /** @see CanaryProps */
  public constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id);
    this.props = props;
    this.steps = props.steps ?? [10, 50, 100];
    this.step = props.step ?? 1;
    this.checkSteps();
    this.subsets = props.subsetNames ?? { stable: "stable", candidate: "candidate" };
    for (const which of ["stable", "candidate"] as const) {
      checkProp(this, `subsetNames.${which}`, dnsLabel(this.subsets[which]));
    }
    if (this.subsets.stable === this.subsets.candidate)
      checkProp(this, "subsetNames", "stable and candidate need different names");
    const stable = selectorLabels(this, "stable", props.stable);
    const candidate = selectorLabels(this, "candidate", props.candidate);
    // Each subset must select only its own version's pods, or the split is not what it says.
    if (
      selects(candidate, podLabels(props.stable)) ||
      selects(stable, podLabels(props.candidate))
    ) {
      throw propError(
        this,
        "candidate",
        `selects the same pods as props.stable (${text(candidate)} and ${text(stable)}): give the versions a distinguishing label such as version`,
      );
    }
    if (props.mirrorPercent !== undefined)
      checkProp(this, "mirrorPercent", intInRange(props.mirrorPercent, 0, 100));
    this.checkDarkLaunch(props.darkLaunch);
    this.host = hostOf(props.service);
    this.port = props.port ?? portOf(props.service);
    const metadata = props.name !== undefined ? { name: props.name } : {};
    this.destinationRule = new DestinationRule(this, "Subsets", {
      metadata,
      spec: {
        host: this.host,
        subsets: [
          { name: this.subsets.stable, labels: { ...stable } },
          { name: this.subsets.candidate, labels: { ...candidate } },
        ],
      },
    });
    this.virtualService = new VirtualService(this, "Routes", {
      metadata,
      spec: this.specAt(this.step),
    });
    validateWithMesh(this, () => [
      {
        object: this.destinationRule,
        props: [
          ["spec.subsets[0]", "stable"],
          ["spec.subsets[1]", "candidate"],
          ["spec.host", "service"],
        ],
      },
      {
        object: this.virtualService,
        props: [
          ["spec.hosts", "service"],
          ["spec.http", "steps"],
        ],
      },
    ]);
  }

  /** Percent of traffic the candidate gets at `step` (0 at the rollback step). */
  public weightAt(step: number): number {
    return step === 0 ? 0 : (this.steps[step - 1] ?? 0);
  }

  /** The VirtualService of every step, the rollback (0) first, for progressive pipelines. */
  public stepManifests(): CanaryStepManifest[] {
    const name = this.virtualService.name;
    const namespace = this.virtualService.metadata.namespace;
    return [0, ...this.steps.map((_, i) => i + 1)].map(step => ({
      step,
      candidateWeight: this.weightAt(step),
      manifest: VirtualService.manifest({ metadata: { name, namespace }, spec: this.specAt(step) }),
    }));
  }

  private checkSteps(): void {
    checkProp(this, "steps", this.steps.length === 0 ? "needs at least one step" : undefined);
    this.steps.forEach((w, i) => {
      checkProp(this, `steps[${i}]`, intInRange(w, 1, 100));
      const before = this.steps[i - 1];
      if (before !== undefined && w <= before)
        checkProp(this, `steps[${i}]`, `${w} must be greater than the step before (${before})`);
    });
    checkProp(this, "step", intInRange(this.step, 0, this.steps.length));
  }

  private checkDarkLaunch(dark: CanaryDarkLaunch | undefined): void {
    if (!dark) return;
    if (dark.users !== undefined && dark.users.length === 0)
      checkProp(this, "darkLaunch.users", "is empty: omit it or name a user");
    dark.users?.forEach((u, i) =>
      checkProp(this, `darkLaunch.users[${i}]`, u === "" ? "is empty" : undefined),
    );
    if (dark.headers !== undefined && Object.keys(dark.headers).length === 0)
      checkProp(this, "darkLaunch.headers", "is empty: omit it or name a header");
  }

  private destination(subset: string) {
    return {
      host: this.host,
      subset,
      ...(this.port !== undefined ? { port: { number: this.port } } : {}),
    };
  }

  private specAt(step: number): VirtualServiceSpec {
    const dark = this.props.darkLaunch;
    const toCandidate = [{ destination: this.destination(this.subsets.candidate) }];
    const http: VirtualServiceSpecHttp[] = [];
    if (dark?.headers) {
      const headers = Object.fromEntries(
        Object.entries(dark.headers).map(([k, v]) => [k, { exact: v }]),
      );
      http.push({ name: "dark-launch-headers", match: [{ headers }], route: toCandidate });
    }
    if (dark?.users) {
      const header = dark.userHeader ?? "end-user";
      // One match per user: Istio ORs the entries of `match`.
      const match = dark.users.map(u => ({ headers: { [header]: { exact: u } } }));
      http.push({ name: "dark-launch-users", match, route: toCandidate });
    }
    const weight = this.weightAt(step);
    const mirror = this.props.mirrorPercent;
    http.push({
      name: "canary",
      route: [
        { destination: this.destination(this.subsets.stable), weight: 100 - weight },
        { destination: this.destination(this.subsets.candidate), weight },
      ],
      ...(mirror !== undefined
        ? { mirror: this.destination(this.subsets.candidate), mirrorPercentage: { value: mirror } }
        : {}),
    });
    return { hosts: [this.host], http };
  }
}

function text(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
