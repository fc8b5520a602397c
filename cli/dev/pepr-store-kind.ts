import { GenericKind, RegisterKind } from "kubernetes-fluent-client";

/** Pepr's PeprStore custom resource, registered so that kubernetes-fluent-client can address it. */
export class Store extends GenericKind {
  data?: Record<string, string>;
}

RegisterKind(Store, { group: "pepr.dev", version: "v1", kind: "PeprStore" });
