/**
 * Telemetry: which metrics, access logs and traces a workload's proxy produces, and where to.
 * https://istio.io/latest/docs/reference/config/telemetry/
 */
import { PolicyTargetReference, WorkloadSelector } from "./common";
import {
  array,
  boolean,
  double,
  duration,
  enumOf,
  map,
  object,
  req,
  string,
  type Infer,
} from "./schema";

/** Which side of a connection a rule applies to. */
export const WorkloadMode = enumOf(["CLIENT_AND_SERVER", "CLIENT", "SERVER"]);

/** A provider named in the mesh config's `extensionProviders` (or one of Istio's built-ins). */
export const ProviderRef = object({ name: req(string({ minLength: 1 })) });
/** @see ProviderRef */
export type ProviderRef = Infer<typeof ProviderRef>;

const providers = () => array(ProviderRef);

/** A custom tag on every span: a literal, an environment variable, a header or a formatter. */
export const TracingTag = object(
  {
    environment: object({ defaultValue: string(), name: req(string({ minLength: 1 })) }),
    formatter: object({ value: req(string({ minLength: 1 })) }),
    header: object({ defaultValue: string(), name: req(string({ minLength: 1 })) }),
    literal: object({ value: req(string({ minLength: 1 })) }),
  },
  { oneOf: [["literal", "environment", "header", "formatter"]] },
);
/** @see TracingTag */
export type TracingTag = Infer<typeof TracingTag>;

/** Tracing: providers, sampling, tags. */
export const Tracing = object({
  customTags: map(TracingTag),
  disableContextPropagation: boolean(),
  disableSpanReporting: boolean(),
  enableIstioTags: boolean(),
  match: object({ mode: WorkloadMode }),
  providers: providers(),
  randomSamplingPercentage: double({ minimum: 0, maximum: 100 }),
  useRequestIdForTraceSampling: boolean(),
});
/** @see Tracing */
export type Tracing = Infer<typeof Tracing>;

/** Istio's standard metrics, by the names Telemetry uses. */
export const METRIC_NAMES = [
  "ALL_METRICS",
  "REQUEST_COUNT",
  "REQUEST_DURATION",
  "REQUEST_SIZE",
  "RESPONSE_SIZE",
  "TCP_OPENED_CONNECTIONS",
  "TCP_CLOSED_CONNECTIONS",
  "TCP_SENT_BYTES",
  "TCP_RECEIVED_BYTES",
  "GRPC_REQUEST_MESSAGES",
  "GRPC_RESPONSE_MESSAGES",
] as const;

/** Which metrics an override changes. */
export const MetricSelector = object(
  {
    customMetric: string({ minLength: 1 }),
    metric: enumOf(METRIC_NAMES),
    mode: WorkloadMode,
  },
  { oneOf: [["metric", "customMetric"]] },
);
/** @see MetricSelector */
export type MetricSelector = Infer<typeof MetricSelector>;

/** A change to one tag (dimension) of the matched metrics. */
export const TagOverride = object({
  operation: enumOf(["UPSERT", "REMOVE"]),
  value: string({ description: "A CEL expression; required when `operation` is `UPSERT`." }),
});
/** @see TagOverride */
export type TagOverride = Infer<typeof TagOverride>;

/** Metrics: providers, overrides, reporting interval. */
export const Metrics = object({
  overrides: array(
    object({ disabled: boolean(), match: MetricSelector, tagOverrides: map(TagOverride) }),
  ),
  providers: providers(),
  reportingInterval: duration(),
});
/** @see Metrics */
export type Metrics = Infer<typeof Metrics>;

/** Access logging: providers, a CEL filter, on or off. */
export const AccessLogging = object({
  disabled: boolean(),
  filter: object({ expression: string() }),
  match: object({ mode: WorkloadMode }),
  providers: providers(),
});
/** @see AccessLogging */
export type AccessLogging = Infer<typeof AccessLogging>;

/** The Telemetry spec. */
export const TelemetrySpec = object(
  {
    accessLogging: array(AccessLogging),
    metrics: array(Metrics),
    selector: WorkloadSelector,
    targetRef: PolicyTargetReference,
    targetRefs: array(PolicyTargetReference, { maxItems: 16 }),
    tracing: array(Tracing),
  },
  {
    description:
      "Telemetry configuration for workloads. See more details at: https://istio.io/docs/reference/config/telemetry.html",
  },
);
/** @see TelemetrySpec */
export type TelemetrySpec = Infer<typeof TelemetrySpec>;
