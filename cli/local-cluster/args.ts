import { join } from "node:path";

/** The loopback ports of one local cluster's components. */
export interface ControlPlanePorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

/** Inputs to the component command lines. */
export interface ControlPlaneInput {
  dir: string;
  ports: ControlPlanePorts;
  files: {
    caCert: string;
    caKey: string;
    apiserverCert: string;
    apiserverKey: string;
    saKey: string;
    saPub: string;
  };
  kubeconfig: string;
  stages: string[];
}

/** A Service range nothing sends traffic to: cluster IPs here are labels, never destinations. */
export const serviceClusterIpRange = "10.96.0.0/16";

// Controllers that need a cloud provider; without one they only log errors.
const cloudControllers = [
  "-cloud-node-lifecycle-controller",
  "-node-route-controller",
  "-service-lb-controller",
];

/**
 * The command line of every component of a local cluster, bound to 127.0.0.1 only. Pure, so
 * the flags can be read (and tested) in one place.
 */
export function controlPlaneArgs(input: ControlPlaneInput) {
  const { dir, ports, files, kubeconfig } = input;
  const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const delegated = [
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
  ];
  return {
    etcd: [
      "--name=rigging",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=rigging=${peerUrl}`,
      // A throwaway test store: durability costs seconds per test run and buys nothing.
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ],
    "kube-apiserver": [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${ports.apiserver}`,
      `--cert-dir=${join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${files.apiserverCert}`,
      `--tls-private-key-file=${files.apiserverKey}`,
      `--client-ca-file=${files.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${files.saPub}`,
      `--service-account-signing-key-file=${files.saKey}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      // The `kubernetes` Service would list 127.0.0.1, which Endpoints validation refuses.
      "--endpoint-reconciler-type=none",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
    ],
    "kube-controller-manager": [
      `--kubeconfig=${kubeconfig}`,
      ...delegated,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.controllerManager}`,
      `--cert-dir=${join(dir, "controller-manager-certs")}`,
      `--service-account-private-key-file=${files.saKey}`,
      `--root-ca-file=${files.caCert}`,
      "--use-service-account-credentials=true",
      `--controllers=*,${cloudControllers.join(",")}`,
      "--leader-elect=false",
      "--profiling=false",
    ],
    "kube-scheduler": [
      `--kubeconfig=${kubeconfig}`,
      ...delegated,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.scheduler}`,
      `--cert-dir=${join(dir, "scheduler-certs")}`,
      "--leader-elect=false",
      "--profiling=false",
    ],
    kwok: [
      `--kubeconfig=${kubeconfig}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--node-lease-duration-seconds=40",
      `--server-address=127.0.0.1:${ports.kwok}`,
      ...input.stages.map(stage => `--config=${stage}`),
    ],
  };
}
