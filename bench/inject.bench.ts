/**
 * Injector throughput on the bookinfo pods, against a baseline measured in the same run (a plain
 * structuredClone of each pod, the least any injector must do).
 * Run: npx tsx bench/inject.bench.ts
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectPod,
  type Namespace,
  type Pod,
} from "../mesh/inject";
import { sharedPath } from "../test/harness/shared";

/** The part of a bookinfo Deployment the benchmark reads. */
interface Workload {
  kind?: string;
  metadata: { name: string };
  spec: { template: { metadata?: Pod["metadata"]; spec: Pod["spec"] } };
}

const docs = parseAllDocuments(
  readFileSync(
    sharedPath("istio", "samples", "bookinfo", "platform", "kube", "bookinfo.yaml"),
    "utf8",
  ),
).map(d => d.toJSON() as Workload);
const pods: Pod[] = docs
  .filter(d => d?.kind === "Deployment")
  .map(d => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...d.spec.template.metadata,
      generateName: `${d.metadata.name}-5d9f7c-`,
      namespace: "default",
      labels: { ...d.spec.template.metadata?.labels, "pod-template-hash": "5d9f7c" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `${d.metadata.name}-5d9f7c`,
          controller: true,
        },
      ],
    },
    spec: d.spec.template.spec,
  }));
const ns: Namespace = { metadata: { name: "default", labels: { "istio-injection": "enabled" } } };
const mesh = defaultMeshSettings();
const values = defaultInjectionValues();

function rate(label: string, fn: (p: Pod) => unknown, ms = 2000): number {
  for (let i = 0; i < 200; i++) fn(pods[i % pods.length] as Pod); // warm up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const p of pods) fn(p);
    n += pods.length;
  }
  const perSec = n / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(28)} ${Math.round(perSec).toLocaleString("en")} pods/s`);
  return perSec;
}

const check = injectPod(pods[0] as Pod, ns, mesh, values);
if (!check.ok || !check.value.injected) throw new Error("bookinfo pod was not injected");
console.log(`bookinfo: ${pods.length} pods`);
const baseline = rate("baseline structuredClone", p => structuredClone(p));
const inject = rate("injectPod", p => injectPod(p, ns, mesh, values));
console.log(
  `ratio injectPod / baseline: ${(inject / baseline).toFixed(3)} (baseline is ${(baseline / inject).toFixed(1)}x faster)`,
);
