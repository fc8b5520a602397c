/**
 * Pod selection: a cdk8s-plus workload or a plain label set, turned into the labels Istio
 * selects by (subsets, `selector.matchLabels`, `workloadSelector.labels`).
 */
import * as kplus from "cdk8s-plus-27";
import type { IConstruct } from "constructs";
import { checkLabelKey, checkLabelValue } from "../../mesh/validation/labels";
import { propError } from "./errors";

/** Labels that select pods. */
export type Labels = Readonly<Record<string, string>>;

/** Pods to target: a cdk8s-plus Deployment (its selector labels) or a label set. */
export type WorkloadTarget = kplus.Deployment | Labels;

/**
 * The labels that select `target`'s pods, checked as Kubernetes label keys and values; an empty
 * set would select every pod, so it is refused.
 */
export function selectorLabels(scope: IConstruct, prop: string, target: WorkloadTarget): Labels {
  // A Deployment's selector labels are always on its pod template, so they select its pods
  // and no other Deployment's (cdk8s-plus adds a unique `cdk8s.io/metadata.addr`).
  const labels = target instanceof kplus.Deployment ? target.matchLabels : { ...target };
  if (Object.keys(labels).length === 0) {
    throw propError(scope, prop, "selects no labels: a subset or selector needs at least one");
  }
  for (const [key, value] of Object.entries(labels)) {
    const rule = checkLabelKey(key) ?? checkLabelValue(value);
    if (rule !== undefined) throw propError(scope, `${prop}[${key}]`, rule);
  }
  return labels;
}

/**
 * The labels `target`'s pods carry, as far as the chart knows: a Deployment's pod template
 * labels, or the label set itself.
 */
export function podLabels(target: WorkloadTarget): Labels {
  if (!(target instanceof kplus.Deployment)) return target;
  const labels = (target.podMetadata.toJson() as { labels?: Record<string, string> }).labels;
  return { ...labels, ...target.matchLabels };
}

/** Whether `selector` selects a pod labelled `labels` (every selector label is on the pod). */
export function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
