import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdk8s";
import { KIND_NAMES, KINDS, type SpecOf } from "../../mesh/api/kinds";
import { validate } from "../../mesh/validation/validate";
import * as l1 from "../../constructs/generated";
import {
  className,
  GENERATED_DIR,
  generateConstructFiles,
  kebab,
} from "../../scripts/gen-constructs-emit";
import { repoRoot } from "../harness/shared";
import { checkAgainstIstio } from "./istio-crd-schema";
import { testChart } from "./synth";

// Compile-time: the types inferred from mesh/api and the generated L1 props are one shape.
// If the generator drifts (a field renamed, an enum widened), `tsc` fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<SpecOf<"VirtualService">, l1.VirtualServiceSpec>,
  Same<SpecOf<"DestinationRule">, l1.DestinationRuleSpec>,
  Same<SpecOf<"Gateway">, l1.GatewaySpec>,
  Same<SpecOf<"ServiceEntry">, l1.ServiceEntrySpec>,
  Same<SpecOf<"Sidecar">, l1.SidecarSpec>,
  Same<SpecOf<"WorkloadEntry">, l1.WorkloadEntrySpec>,
  Same<SpecOf<"WorkloadGroup">, l1.WorkloadGroupSpec>,
  Same<SpecOf<"EnvoyFilter">, l1.EnvoyFilterSpec>,
  Same<SpecOf<"PeerAuthentication">, l1.PeerAuthenticationSpec>,
  Same<SpecOf<"RequestAuthentication">, l1.RequestAuthenticationSpec>,
  Same<SpecOf<"AuthorizationPolicy">, l1.AuthorizationPolicySpec>,
  Same<SpecOf<"Telemetry">, l1.TelemetrySpec>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];

/** Every L1 class, by kind and version. */
const classes = KIND_NAMES.flatMap(kind =>
  KINDS[kind].versions.map(version => ({
    kind,
    version,
    cls: (l1 as unknown as Record<string, typeof l1.VirtualService | undefined>)[
      className(KINDS[kind], version)
    ] as typeof l1.VirtualService,
  })),
);

// The smallest valid spec of each kind, so every class can be synthesized and validated.
const minimal: { [K in (typeof KIND_NAMES)[number]]: SpecOf<K> } = {
  VirtualService: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews" } }] }] },
  DestinationRule: { host: "reviews" },
  Gateway: {
    selector: { istio: "ingressgateway" },
    servers: [{ hosts: ["*"], port: { name: "http", number: 80, protocol: "HTTP" } }],
  },
  ServiceEntry: {
    hosts: ["api.example.com"],
    ports: [{ name: "https", number: 443, protocol: "TLS" }],
    resolution: "DNS",
  },
  Sidecar: { egress: [{ hosts: ["./*"] }] },
  WorkloadEntry: { address: "10.0.0.1" },
  WorkloadGroup: { template: { serviceAccount: "vm" } },
  EnvoyFilter: { workloadSelector: { labels: { app: "reviews" } } },
  PeerAuthentication: { mtls: { mode: "STRICT" } },
  RequestAuthentication: { jwtRules: [{ issuer: "me", jwksUri: "https://example.com/jwks" }] },
  AuthorizationPolicy: { action: "ALLOW", rules: [{}] },
  Telemetry: { accessLogging: [{ providers: [{ name: "envoy" }] }] },
};

describe("generated L1 classes", () => {
  it("are up to date with mesh/api (regenerated in memory, compared with the files)", async () => {
    expect(sameShapes.every(Boolean)).toBe(true);
    const files = await generateConstructFiles(repoRoot);
    const dir = join(repoRoot, GENERATED_DIR);
    const committed = readdirSync(dir).map(f => `${GENERATED_DIR}/${f}`);
    expect(committed.sort()).toEqual([...files.keys()].sort());
    for (const [path, text] of files) {
      // Compared one by one so a failure names the stale file.
      expect({ path, upToDate: readFileSync(join(repoRoot, path), "utf8") === text }).toEqual({
        path,
        upToDate: true,
      });
    }
  });

  it("exist for every kind and served version, the first under the bare kind name", () => {
    expect(classes.map(c => c.cls?.name)).toEqual(
      KIND_NAMES.flatMap(k =>
        KINDS[k].versions.map((v, i) =>
          i === 0
            ? k
            : `${k}V${v.slice(1).replace(/([0-9])([a-z])/g, (_, d, c) => d + c.toUpperCase())}`,
        ),
      ),
    );
    expect(existsSync(join(repoRoot, GENERATED_DIR, `${kebab("VirtualService")}.ts`))).toBe(true);
    expect(l1.VirtualServiceV1Beta1.GVK).toEqual({
      apiVersion: "networking.istio.io/v1beta1",
      kind: "VirtualService",
    });
  });

  it.each(classes.map(c => [`${c.kind} ${c.version}`, c] as const))(
    "%s: synthesizes with its GVK, equals manifest(), passes Istio's CRD and Rigging's validator",
    (_, { kind, version, cls }) => {
      const chart = testChart();
      const props = { metadata: { name: "x" }, spec: minimal[kind] as l1.VirtualServiceSpec };
      new cls(chart, "obj", props);
      const [out] = Testing.synth(chart);
      const expected = {
        apiVersion: `${KINDS[kind].group}/${version}`,
        kind,
        metadata: { name: "x" },
        spec: minimal[kind],
      };
      expect(out).toEqual(expected);
      expect(cls.manifest(props)).toEqual(expected);
      expect(checkAgainstIstio(out)).toMatchObject({ errors: [] });
      expect(validate(out).errors).toEqual([]);
    },
  );

  it("offers enums as constants that are also their literal types", () => {
    const port: l1.VirtualServiceSpecHttpRedirectDerivePort =
      l1.VirtualServiceSpecHttpRedirectDerivePort.FROM_REQUEST_PORT;
    expect(port).toBe("FROM_REQUEST_PORT");
    expect(Object.values(l1.PeerAuthenticationSpecMtlsMode)).toEqual([
      "UNSET",
      "DISABLE",
      "PERMISSIVE",
      "STRICT",
    ]);
  });

  it("manifest() drops undefined members, as toJson() does", () => {
    expect(l1.PeerAuthentication.manifest({ spec: { mtls: { mode: undefined } } })).toEqual({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      spec: { mtls: {} },
    });
  });
});
