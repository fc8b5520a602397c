/**
 * Which DestinationRule `tls` block governs a cluster: the subset's port-level setting, the
 * subset's own, the rule's port-level setting, the rule's own; the first one set wins whole
 * (blocks are not merged field by field), with the path to it for messages.
 */
import type { DestinationRule } from "../../../../mesh/api";
import {
  clusterTlsSetting,
  settingMessage,
} from "../../../../xds/compile/clusters/cluster-tls-setting";
import { cfg, type Json } from "../grpc-echo";

const rule = (spec: Json) =>
  cfg("DestinationRule", "echo", "shop", { host: "echo", ...spec }) as unknown as DestinationRule;

const SIMPLE = { mode: "SIMPLE", caCertificates: "/etc/ca.pem" };
const MUTUAL = { mode: "MUTUAL", clientCertificate: "/c.pem", privateKey: "/k.pem" };
const ISTIO = { mode: "ISTIO_MUTUAL" };
const DISABLE = { mode: "DISABLE" };

/** A rule with a setting at every level: rule, its port 9080, subset v1, v1's port 9080. */
const LAYERED = rule({
  trafficPolicy: {
    tls: DISABLE,
    portLevelSettings: [
      { port: { number: 8080 }, tls: MUTUAL },
      { port: { number: 9080 }, tls: SIMPLE },
    ],
  },
  subsets: [
    {
      name: "v1",
      labels: { version: "v1" },
      trafficPolicy: { tls: ISTIO, portLevelSettings: [{ port: { number: 9080 }, tls: MUTUAL }] },
    },
    { name: "v2", labels: { version: "v2" } },
  ],
});

describe("clusterTlsSetting", () => {
  it.each<[string, number, string | undefined, Json, string]>([
    [
      "the rule's own, for a port without its own",
      7070,
      undefined,
      DISABLE,
      "spec.trafficPolicy.tls",
    ],
    [
      "the rule's port-level setting over the rule's",
      9080,
      undefined,
      SIMPLE,
      "spec.trafficPolicy.portLevelSettings[1].tls",
    ],
    [
      "the subset's port-level setting over all",
      9080,
      "v1",
      MUTUAL,
      "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls",
    ],
    [
      "the subset's own over the rule's port-level setting",
      8080,
      "v1",
      ISTIO,
      "spec.subsets[0].trafficPolicy.tls",
    ],
    [
      "a subset without tls: the rule's port-level setting",
      9080,
      "v2",
      SIMPLE,
      "spec.trafficPolicy.portLevelSettings[1].tls",
    ],
    ["a subset without tls: the rule's own", 7070, "v2", DISABLE, "spec.trafficPolicy.tls"],
  ])("%s", (_, port, subset, tls, path) => {
    expect(clusterTlsSetting(LAYERED, port, subset)).toEqual({
      tls,
      path,
      rule: "shop/echo",
      mode: tls.mode,
    });
  });

  it("the winning block is taken whole, not merged with the ones below it", () => {
    const r = rule({
      trafficPolicy: { tls: { ...MUTUAL, sni: "echo.example.com" } },
      subsets: [{ name: "v1", trafficPolicy: { tls: { mode: "SIMPLE" } } }],
    });
    expect(clusterTlsSetting(r, 9080, "v1")?.tls).toEqual({ mode: "SIMPLE" });
  });

  it("a block without a mode is DISABLE (the proto's zero value)", () => {
    const r = rule({ trafficPolicy: { tls: { sni: "echo.example.com" } } });
    expect(clusterTlsSetting(r, 9080)?.mode).toBe("DISABLE");
  });

  it.each<[string, DestinationRule | undefined]>([
    ["no rule", undefined],
    [
      "a rule without tls",
      rule({ trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } } }),
    ],
    [
      "another subset's or another port's tls only",
      rule({
        trafficPolicy: { portLevelSettings: [{ port: { number: 8080 }, tls: SIMPLE }] },
        subsets: [{ name: "v2", trafficPolicy: { tls: SIMPLE } }],
      }),
    ],
  ])("none with %s: auto-mTLS decides", (_, r) => {
    expect(clusterTlsSetting(r, 9080, "v1")).toBeUndefined();
  });
});

describe("settingMessage", () => {
  it("names the rule and the field's path", () => {
    const s = clusterTlsSetting(LAYERED, 9080, "v1")!;
    expect(settingMessage(s, "privateKey", "unreadable")).toBe(
      "DestinationRule shop/echo: spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.privateKey: unreadable",
    );
  });
});
