import { a, Capability } from "pepr";
import { KINDS, SECURITY_GROUP } from "../mesh/api";
import { SECURITY_KINDS } from "../mesh/store";
import { fold } from "./watch-into-mesh";

/**
 * Peer authentication: PeerAuthentication, RequestAuthentication and AuthorizationPolicy,
 * watched into the mesh store, so every connected proxy's listeners and clusters carry the mTLS
 * mode, JWT rules and RBAC they imply. Admission validation of these kinds lives in
 * `config-validation`.
 */
export const PeerAuthentication = new Capability({
  name: "peer-authentication",
  description:
    "Watches PeerAuthentication, RequestAuthentication and AuthorizationPolicy and compiles what proxies enforce.",
});

const { When } = PeerAuthentication;

for (const kind of SECURITY_KINDS) {
  // The CRD's plural: Pepr would otherwise watch `<kind>s` (`authorizationpolicys`), which 404s.
  const gvk = { group: SECURITY_GROUP, version: "v1", kind, plural: KINDS[kind].plural };
  When(a.GenericKind, gvk).IsCreatedOrUpdated().Watch(fold(kind));
  When(a.GenericKind, gvk).IsDeleted().Watch(fold(kind));
}
