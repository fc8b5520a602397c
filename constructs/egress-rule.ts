/**
 * EgressRule: lets mesh workloads reach an external host — a ServiceEntry registering it, and
 * optionally a DestinationRule originating TLS so apps can speak plain HTTP to it.
 * https://istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/
 */
import { Construct } from "constructs";
import { checkFqdn, checkWildcardDomain } from "../mesh/validation/hosts";
import { DestinationRule } from "./generated/destination-rule";
import { ServiceEntry, type ServiceEntrySpecPorts } from "./generated/service-entry";
import { checkProp, intInRange } from "./lib/errors";
import { validateWithMesh, type ProducedObject } from "./lib/mesh-validation";

/** A port of the external host. */
export interface EgressPort {
  /** The port number. */
  readonly number: number;
  /** `HTTP`, `HTTPS`, `TLS`, `TCP`, `GRPC`, … */
  readonly protocol: string;
  /**
   * The port's name.
   * @default - the protocol in lower case
   */
  readonly name?: string;
}

/** Props of {@link EgressRule}. */
export interface EgressRuleProps {
  /** The external host: a FQDN, or a wildcard (`*.example.com`) with `resolution: "NONE"`. */
  readonly host: string;
  /**
   * Ports reachable on the host.
   * @default - 443/TLS; 80/HTTP (sent on to 443) with `tlsOrigination`
   */
  readonly ports?: readonly EgressPort[];
  /**
   * Let apps send plain HTTP on port 80 and have the sidecar upgrade it to TLS on 443, verifying
   * the host's certificate against the SNI `host`.
   * @default false
   */
  readonly tlsOrigination?: boolean;
  /**
   * How the proxy finds the host's addresses.
   * @default "DNS" ("NONE" for a wildcard host)
   */
  readonly resolution?: "DNS" | "DNS_ROUND_ROBIN" | "NONE";
  /**
   * Namespaces that see the entry (`.` is this one, `*` all).
   * @default - every namespace
   */
  readonly exportTo?: readonly string[];
  /**
   * Name of the ServiceEntry and DestinationRule.
   * @default - names cdk8s generates
   */
  readonly name?: string;
}

/** Access from the mesh to one external host. */
export class EgressRule extends Construct {
  /** The ServiceEntry registering the host. */
  public readonly serviceEntry: ServiceEntry;
  /** The DestinationRule originating TLS, when `tlsOrigination` is set. */
  public readonly destinationRule?: DestinationRule;

  /** @see EgressRuleProps */
  public constructor(scope: Construct, id: string, props: EgressRuleProps) {
    super(scope, id);
    const wildcard = props.host.startsWith("*");
    const resolution = props.resolution ?? (wildcard ? "NONE" : "DNS");
    checkProp(this, "host", wildcard ? checkWildcardDomain(props.host) : checkFqdn(props.host));
    if (wildcard && resolution !== "NONE")
      checkProp(this, "resolution", `a wildcard host needs NONE, not ${resolution}`);
    if (!props.host.includes("."))
      checkProp(this, "host", `${JSON.stringify(props.host)} is not a FQDN`);
    const origination = props.tlsOrigination ?? false;
    if (origination && wildcard)
      checkProp(this, "tlsOrigination", "needs a host, not a wildcard: the SNI must be known");
    const ports = this.ports(props, origination);
    const metadata = props.name !== undefined ? { name: props.name } : {};
    this.serviceEntry = new ServiceEntry(this, "Entry", {
      metadata,
      spec: {
        hosts: [props.host],
        location: "MESH_EXTERNAL",
        resolution,
        ports,
        ...(props.exportTo ? { exportTo: [...props.exportTo] } : {}),
      },
    });
    if (origination) {
      this.destinationRule = new DestinationRule(this, "TlsOrigination", {
        metadata,
        spec: {
          host: props.host,
          ...(props.exportTo ? { exportTo: [...props.exportTo] } : {}),
          trafficPolicy: {
            portLevelSettings: ports
              .filter(p => p.protocol === "HTTP")
              .map(p => ({ port: { number: p.number }, tls: { mode: "SIMPLE", sni: props.host } })),
          },
        },
      });
    }
    const dr = this.destinationRule;
    validateWithMesh(this, () => {
      const out: ProducedObject[] = [
        {
          object: this.serviceEntry,
          props: [
            ["spec.hosts", "host"],
            ["spec.ports", "ports"],
            ["spec.resolution", "resolution"],
            ["spec.exportTo", "exportTo"],
          ],
        },
      ];
      if (dr) out.push({ object: dr, props: [["spec", "tlsOrigination"]] });
      return out;
    });
  }

  private ports(props: EgressRuleProps, origination: boolean): ServiceEntrySpecPorts[] {
    if (!props.ports) {
      return origination
        ? [{ number: 80, protocol: "HTTP", name: "http", targetPort: 443 }]
        : [{ number: 443, protocol: "TLS", name: "tls" }];
    }
    checkProp(this, "ports", props.ports.length === 0 ? "needs at least one port" : undefined);
    return props.ports.map((p, i) => {
      checkProp(this, `ports[${i}].number`, intInRange(p.number, 1, 65535));
      // With origination the app speaks HTTP to port N and the sidecar sends TLS to 443.
      const target = origination && p.protocol === "HTTP" ? { targetPort: 443 } : {};
      return {
        number: p.number,
        protocol: p.protocol,
        name: p.name ?? p.protocol.toLowerCase(),
        ...target,
      };
    });
  }
}
