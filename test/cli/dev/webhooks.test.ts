import { devWebhooks } from "../../../cli/dev/webhooks";

const manifest = (path: string) => `
apiVersion: v1
kind: Namespace
metadata: { name: pepr-system }
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: pepr-rigging }
webhooks:
  - name: pepr-rigging.pepr.dev
    failurePolicy: Fail
    clientConfig:
      caBundle: b2xk
      service: { name: pepr-rigging, namespace: pepr-system, path: ${path.replace("validate", "mutate")} }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: pepr-rigging }
webhooks:
  - name: pepr-rigging.pepr.dev
    failurePolicy: Fail
    clientConfig:
      caBundle: b2xk
      service: { name: pepr-rigging, namespace: pepr-system, path: ${path} }
`;

describe("devWebhooks", () => {
  it("points every webhook at the local URL with the dev CA, keeping Pepr's rules and policy", () => {
    const out = devWebhooks(manifest("/validate/abc123"), "https://127.0.0.1:4000", "CA-PEM");
    expect(out.apiPath).toBe("abc123");
    expect(out.configurations.map(c => c.kind)).toEqual([
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
    expect(out.configurations.map(c => c.webhooks[0]?.clientConfig)).toEqual([
      {
        url: "https://127.0.0.1:4000/mutate/abc123",
        caBundle: Buffer.from("CA-PEM").toString("base64"),
      },
      {
        url: "https://127.0.0.1:4000/validate/abc123",
        caBundle: Buffer.from("CA-PEM").toString("base64"),
      },
    ]);
    expect(out.configurations[1]?.webhooks[0]).toHaveProperty("failurePolicy", "Fail");
  });

  it("refuses a manifest without webhooks, saying why", () => {
    expect(() => devWebhooks("kind: Namespace\n", "https://127.0.0.1:1", "x")).toThrow(
      "the built module manifest has no webhook configurations",
    );
  });

  it("refuses a webhook whose path is not Pepr's", () => {
    expect(() => devWebhooks(manifest("/elsewhere"), "https://127.0.0.1:1", "x")).toThrow(
      'webhook pepr-rigging.pepr.dev: unexpected service path "/elsewhere"',
    );
  });
});
