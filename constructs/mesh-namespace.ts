/**
 * MeshNamespace: a namespace enrolled in the mesh — sidecar injection on, optionally the mesh
 * made mandatory for its pods, optionally STRICT mutual TLS for everything in it.
 */
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { meshRequiredLabel } from "../mesh/admission/mesh-required";
import { PeerAuthentication } from "./generated/peer-authentication";
import { checkProp, dnsLabel } from "./lib/errors";
import { validateWithMesh } from "./lib/mesh-validation";

/** Props of {@link MeshNamespace}. */
export interface MeshNamespaceProps {
  /**
   * The namespace's name. Ignored when `namespace` is given.
   * @default - a name cdk8s generates from the construct path
   */
  readonly name?: string;
  /**
   * An existing cdk8s-plus Namespace to enroll instead of creating one.
   * @default - a new Namespace
   */
  readonly namespace?: kplus.Namespace;
  /**
   * Label the namespace `istio-injection=enabled` so its pods get a sidecar.
   * @default true
   */
  readonly injection?: boolean;
  /**
   * Label the namespace `rigging.dev/mesh=required`: the webhook refuses pods that would run
   * without a sidecar.
   * @default false
   */
  readonly meshRequired?: boolean;
  /**
   * Add a namespace-wide PeerAuthentication named `default` with mode STRICT, so workloads here
   * accept only mutual TLS.
   * @default false
   */
  readonly strictMtls?: boolean;
}

/** A namespace enrolled in the mesh. */
export class MeshNamespace extends Construct {
  /** The Namespace (created here, or the one passed in). */
  public readonly namespace: kplus.Namespace;
  /** The namespace-wide STRICT PeerAuthentication, when `strictMtls` is set. */
  public readonly peerAuthentication?: PeerAuthentication;

  /** @see MeshNamespaceProps */
  public constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    if (props.name !== undefined && props.namespace !== undefined) {
      checkProp(this, "name", "set either name or namespace, not both");
    }
    if (props.name !== undefined) checkProp(this, "name", dnsLabel(props.name));
    this.namespace =
      props.namespace ??
      new kplus.Namespace(this, "Namespace", {
        metadata: props.name !== undefined ? { name: props.name } : {},
      });
    if (props.injection ?? true) this.namespace.metadata.addLabel("istio-injection", "enabled");
    if (props.meshRequired) this.namespace.metadata.addLabel(meshRequiredLabel, "required");
    if (props.strictMtls) {
      // `default` is the name Istio's docs give the namespace-wide policy; one per namespace.
      this.peerAuthentication = new PeerAuthentication(this, "StrictMtls", {
        metadata: { name: "default", namespace: this.namespace.name },
        spec: { mtls: { mode: "STRICT" } },
      });
    }
    const peer = this.peerAuthentication;
    validateWithMesh(this, () => (peer ? [{ object: peer, props: [["spec", "strictMtls"]] }] : []));
  }

  /** The namespace's name. */
  public get name(): string {
    return this.namespace.name;
  }
}
