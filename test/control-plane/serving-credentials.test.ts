import { X509Certificate } from "node:crypto";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { MeshCa } from "../../control-plane/mesh-ca";
import { issueServingIdentity } from "../../control-plane/serving-credentials";
import { defaultServingNames } from "../../control-plane/start";
import {
  DEFAULT_DISCOVERY_ADDRESS,
  ISTIO_DEFAULT_DISCOVERY_ADDRESS,
} from "../../mesh/inject/settings";
import { MemoryStore, recordingLogger } from "./fakes";

// The 15012 certificate as the control plane issues it: a client that dials any name of the
// control plane's Services (istiod's alias, rigging's, the watcher's; short or qualified) must
// accept it, since pilot-agent and grpc-go check the name they dialed against its SANs.
describe("the control plane's serving certificate", () => {
  let leaf: (istiodNamespace?: string) => X509Certificate;

  beforeAll(async () => {
    const ca = new MeshCa({
      store: new MemoryStore(),
      logger: recordingLogger(),
      deps: nodeCaDeps,
    });
    await ca.bootstrap();
    leaf = istiodNamespace => {
      const issued = issueServingIdentity(
        ca.authority()!,
        {
          dnsNames: defaultServingNames(istiodNamespace),
          ttlSeconds: 3600,
          generateKey: nodeCaDeps.generateKey,
        },
        nodeCaDeps,
      );
      if (!issued.ok) throw new Error(issued.errors.join("; "));
      return new X509Certificate(issued.value.certChainPem);
    };
  });

  const hostOf = (address: string) => address.slice(0, address.lastIndexOf(":"));

  it.each([
    ["the injected discoveryAddress (Istio's default)", hostOf(ISTIO_DEFAULT_DISCOVERY_ADDRESS)],
    ["the injected discoveryAddress (Rigging's own)", hostOf(DEFAULT_DISCOVERY_ADDRESS)],
    ["istiod, fully qualified", "istiod.istio-system.svc.cluster.local"],
    ["istiod, namespaced", "istiod.istio-system"],
    ["istiod, from inside istio-system", "istiod"],
    ["the rigging Service", "rigging.pepr-system.svc"],
    ["the rigging Service, fully qualified", "rigging.pepr-system.svc.cluster.local"],
    ["the watcher Service", "pepr-rigging-watcher.pepr-system.svc"],
    ["the watcher Service, fully qualified", "pepr-rigging-watcher.pepr-system.svc.cluster.local"],
    ["loopback (rig dev)", "localhost"],
  ])("covers %s: %s", (_what, host) => {
    expect(leaf().checkHost(host)).toBe(host);
  });

  it.each(["istiod.other.svc", "rigging.default.svc", "example.com", "svc"])(
    "does not cover %s",
    host => expect(leaf().checkHost(host)).toBeUndefined(),
  );

  it("follows RIGGING_ISTIOD_NAMESPACE: istiod's names in that namespace", () => {
    const cert = leaf("mesh-system");
    expect(cert.checkHost("istiod.mesh-system.svc")).toBe("istiod.mesh-system.svc");
    expect(cert.checkHost("istiod.istio-system.svc")).toBeUndefined();
  });
});
