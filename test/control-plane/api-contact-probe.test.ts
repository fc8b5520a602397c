import { contactFailure } from "../../control-plane/api-contact-probe";

describe("contactFailure", () => {
  it.each([
    ["a 404 (the namespace does not exist)", { status: 404, statusText: "Not Found" }, undefined],
    ["a 403 (no RBAC to read it)", { status: 403, statusText: "Forbidden" }, undefined],
    ["a 503 (API server up, etcd down)", { status: 503 }, "HTTP 503"],
    [
      "kubernetes-fluent-client's made-up 400 for a refused connection",
      { status: 400, statusText: "fetch failed", e: new TypeError("fetch failed") },
      "fetch failed",
    ],
    ["a plain Error", new Error("socket hang up"), "socket hang up"],
    ["nothing useful", undefined, "request failed"],
  ])("%s", (_what, err, expected) => expect(contactFailure(err)).toBe(expected));
});
