/**
 * The Envoy protobuf descriptor, loaded from the JSON generated at build time by
 * `scripts/gen-xds-protos.ts` — never from `.proto` files at run time (issue 6, item 3).
 */
import protobuf from "protobufjs";
import descriptor from "../generated/envoy-protos.json";

let root: protobuf.Root | undefined;

/** The shared, fully resolved protobufjs root of every type Rigging encodes or serves. */
export function envoyRoot(): protobuf.Root {
  if (!root) {
    root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
    root.resolveAll();
  }
  return root;
}

/** The message type called `fullName` (no leading dot), or undefined if the descriptor lacks it. */
export function findMessageType(fullName: string): protobuf.Type | undefined {
  const found = envoyRoot().lookup(fullName);
  return found instanceof protobuf.Type ? found : undefined;
}

/** The message type called `fullName`; throws (a programmer error) if the descriptor lacks it. */
export function messageType(fullName: string): protobuf.Type {
  const type = findMessageType(fullName);
  if (!type) throw new Error(`envoy-protos.json has no message type ${fullName}`);
  return type;
}
