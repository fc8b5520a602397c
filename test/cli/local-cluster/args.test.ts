import { parse } from "yaml";
import { controlPlaneArgs, type ControlPlaneInput } from "../../../cli/local-cluster/args";
import { renderKubeconfig } from "../../../cli/local-cluster/kubeconfig";

const input: ControlPlaneInput = {
  dir: "/tmp/c",
  ports: {
    etcd: 1001,
    etcdPeer: 1002,
    apiserver: 1003,
    controllerManager: 1004,
    scheduler: 1005,
    kwok: 1006,
  },
  files: {
    caCert: "/tmp/c/pki/ca.crt",
    caKey: "/tmp/c/pki/ca.key",
    apiserverCert: "/tmp/c/pki/apiserver.crt",
    apiserverKey: "/tmp/c/pki/apiserver.key",
    saKey: "/tmp/c/pki/sa.key",
    saPub: "/tmp/c/pki/sa.pub",
  },
  kubeconfig: "/tmp/c/kubeconfig",
  stages: ["/s/pod-ready.yaml", "/s/node-initialize.yaml"],
};

describe("controlPlaneArgs", () => {
  const args = controlPlaneArgs(input);
  const flag = (component: keyof typeof args, name: string) =>
    args[component].find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);

  it("binds every listening component to loopback only", () => {
    expect(flag("etcd", "listen-client-urls")).toBe("http://127.0.0.1:1001");
    expect(flag("etcd", "listen-peer-urls")).toBe("http://127.0.0.1:1002");
    expect(flag("kube-apiserver", "bind-address")).toBe("127.0.0.1");
    expect(flag("kube-controller-manager", "bind-address")).toBe("127.0.0.1");
    expect(flag("kube-scheduler", "bind-address")).toBe("127.0.0.1");
    expect(flag("kwok", "server-address")).toBe("127.0.0.1:1006");
    expect(
      Object.values(args)
        .flat()
        .filter(a => a.includes("0.0.0.0")),
    ).toEqual([]);
  });

  it("wires the apiserver to etcd, the cluster CA and the ServiceAccount keys", () => {
    expect(flag("kube-apiserver", "etcd-servers")).toBe("http://127.0.0.1:1001");
    expect(flag("kube-apiserver", "secure-port")).toBe("1003");
    expect(flag("kube-apiserver", "client-ca-file")).toBe(input.files.caCert);
    expect(flag("kube-apiserver", "service-account-key-file")).toBe(input.files.saPub);
    expect(flag("kube-apiserver", "service-account-signing-key-file")).toBe(input.files.saKey);
    expect(flag("kube-controller-manager", "service-account-private-key-file")).toBe(
      input.files.saKey,
    );
    expect(flag("kube-controller-manager", "root-ca-file")).toBe(input.files.caCert);
  });

  it("runs every default controller except those that need a cloud", () => {
    expect(flag("kube-controller-manager", "controllers")).toBe(
      "*,-cloud-node-lifecycle-controller,-node-route-controller,-service-lb-controller",
    );
  });

  it("gives kwok every stage file and only the fake nodes to manage", () => {
    expect(args.kwok.filter(a => a.startsWith("--config="))).toEqual([
      "--config=/s/pod-ready.yaml",
      "--config=/s/node-initialize.yaml",
    ]);
    expect(flag("kwok", "manage-nodes-with-annotation-selector")).toBe("kwok.x-k8s.io/node=fake");
  });
});

describe("renderKubeconfig", () => {
  it("inlines the CA and the client certificate, since kubernetes-fluent-client needs explicit trust", () => {
    const config = parse(
      renderKubeconfig({
        name: "c1",
        server: "https://127.0.0.1:1003",
        caPem: "CA",
        certPem: "CERT",
        keyPem: "KEY",
      }),
    );
    expect(config["current-context"]).toBe("c1");
    expect(config.clusters[0].cluster).toEqual({
      server: "https://127.0.0.1:1003",
      "certificate-authority-data": Buffer.from("CA").toString("base64"),
    });
    expect(config.users[0].user).toEqual({
      "client-certificate-data": Buffer.from("CERT").toString("base64"),
      "client-key-data": Buffer.from("KEY").toString("base64"),
    });
  });
});
