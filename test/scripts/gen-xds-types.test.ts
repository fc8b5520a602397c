import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DESCRIPTOR, generateEnvoyTypes, OUTPUT } from "../../scripts/gen-xds-types";
import type {
  ClusterResource,
  ListenerResource,
  RouteAction,
} from "../../xds/compile/shared/envoy";
import { Types } from "../../xds/compile/shared/envoy-names";

const root = join(__dirname, "..", "..");

// Compile-time: the generated types refuse what Envoy's protos do not have. Each line below
// must stay an error; if the types went loose (a field typo accepted), `tsc` fails here.
export const typeLevel = [
  // @ts-expect-error misspelt field of envoy.config.cluster.v3.Cluster
  { "@type": Types.cluster, name: "c", conect_timeout: { seconds: 1 } } satisfies ClusterResource,
  // @ts-expect-error misspelt field inside a nested message (RouteAction.retry_policy)
  { cluster: "c", retry_policy: { num_retry: { value: 2 } } } satisfies RouteAction,
  // @ts-expect-error an enum value Envoy does not define
  { "@type": Types.cluster, type: "STRICT_DNZ" } satisfies ClusterResource,
  {
    "@type": Types.listener,
    filter_chains: [
      {
        filters: [
          {
            name: "h",
            // @ts-expect-error a field of an Any's payload (HttpConnectionManager), spelt wrong
            typed_config: { "@type": Types.hcm, stat_prefx: "x" },
          },
        ],
      },
    ],
  } satisfies ListenerResource,
  // And the correct spellings are accepted.
  {
    "@type": Types.listener,
    filter_chains: [
      { filters: [{ name: "h", typed_config: { "@type": Types.hcm, stat_prefix: "x" } }] },
    ],
  } satisfies ListenerResource,
];

describe("scripts/gen-xds-types.ts", () => {
  it("the committed xds/generated/envoy-types.ts is what the descriptor generates", () => {
    const descriptor = JSON.parse(readFileSync(join(root, DESCRIPTOR), "utf8"));
    expect(readFileSync(join(root, OUTPUT), "utf8")).toBe(generateEnvoyTypes(descriptor));
  });

  it("names the five xDS resources and types Any payloads by type URL", () => {
    const text = readFileSync(join(root, OUTPUT), "utf8");
    for (const name of [
      "Listener",
      "RouteConfiguration",
      "Cluster",
      "ClusterLoadAssignment",
      "Secret",
    ])
      expect(text).toContain(`export type ${name} = {`);
    expect(text).toContain(`${JSON.stringify(Types.hcm)}: HttpConnectionManager;`);
  });
});
