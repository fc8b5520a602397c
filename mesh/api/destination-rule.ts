/**
 * DestinationRule: what happens to traffic after routing (subsets, load balancing, TLS, pools).
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/
 */
import { WorkloadSelector } from "./common";
import { array, map, object, req, string, type Infer } from "./schema";
import { TrafficPolicy } from "./traffic-policy";

/** A named set of endpoints of the service, selected by labels. */
export const Subset = object({
  labels: map(string()),
  name: req(string({ description: "Name of the subset." })),
  trafficPolicy: TrafficPolicy,
});
/** @see Subset */
export type Subset = Infer<typeof Subset>;

/** The DestinationRule spec. */
export const DestinationRuleSpec = object(
  {
    exportTo: array(string()),
    host: req(string({ description: "The name of a service from the service registry." })),
    subsets: array(Subset),
    trafficPolicy: TrafficPolicy,
    workloadSelector: WorkloadSelector,
  },
  {
    description:
      "Configuration affecting load balancing, outlier detection, etc. See https://istio.io/docs/reference/config/networking/destination-rule.html",
  },
);
/** @see DestinationRuleSpec */
export type DestinationRuleSpec = Infer<typeof DestinationRuleSpec>;
