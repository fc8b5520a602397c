/** The fake nodes kwok runs: a name each, and a pod CIDR so that every pod gets its own IP. */
export function fakeNode(index: number) {
  const name = `kwok-node-${index}`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      // kwok manages only nodes carrying this annotation (see --manage-nodes-with-annotation-selector).
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    // Pod IPs are labels only: no test ever sends a packet to them.
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`] },
    status: {
      allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
      capacity: { cpu: "32", memory: "256Gi", pods: "110" },
    },
  };
}

/** Whether a Node object reports condition Ready=True. */
export function isNodeReady(node: unknown): boolean {
  const conditions = (
    node as { status?: { conditions?: Array<{ type?: string; status?: string }> } }
  ).status?.conditions;
  return conditions?.some(c => c.type === "Ready" && c.status === "True") ?? false;
}
