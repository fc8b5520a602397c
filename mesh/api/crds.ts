/**
 * CustomResourceDefinitions for the Istio kinds, generated from the schemas in this folder.
 * Served versions, the storage version, short names, categories and printer columns follow
 * Istio's own CRDs (manifests/charts/base/files/crd-all.gen.yaml).
 */
import { KIND_NAMES, KINDS, type KindInfo } from "./kinds";
import { toOpenApi, type JsonSchema } from "./openapi";

/** A `apiextensions.k8s.io/v1` CustomResourceDefinition as plain data. */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories: string[];
    };
    scope: "Namespaced";
    versions: CrdVersion[];
  };
}

/** One served version of a CRD. */
export interface CrdVersion {
  name: string;
  served: true;
  storage: boolean;
  subresources: { status: Record<string, never> };
  additionalPrinterColumns?: {
    name: string;
    type: string;
    jsonPath: string;
    description: string;
  }[];
  schema: { openAPIV3Schema: JsonSchema };
}

/** The top-level object schema: a structural spec and a free-form status. */
function objectSchema(info: KindInfo): JsonSchema {
  const schema: JsonSchema = {
    type: "object",
    properties: {
      spec: toOpenApi(info.spec),
      // Status is written by controllers (conditions, validationMessages); keeping unknown
      // fields lets newer writers add to it without a CRD change.
      status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
  };
  if (info.specRequired) schema.required = ["spec"];
  return schema;
}

/** The CRD of one kind. */
export function crdFor(info: KindInfo): CustomResourceDefinition {
  const openAPIV3Schema = objectSchema(info);
  const versions: CrdVersion[] = info.versions.map(name => ({
    name,
    served: true,
    storage: name === info.storageVersion,
    subresources: { status: {} },
    ...(info.printerColumns.length > 0
      ? { additionalPrinterColumns: info.printerColumns.map(c => ({ ...c })) }
      : {}),
    // Every version shares one schema: Istio's versions differ only in name, which is what lets
    // an object written as v1beta1 read back unchanged as v1 without a conversion webhook.
    schema: { openAPIV3Schema: structuredClone(openAPIV3Schema) },
  }));
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${info.plural}.${info.group}`,
      labels: { "app.kubernetes.io/part-of": "rigging" },
    },
    spec: {
      group: info.group,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        ...(info.shortNames.length > 0 ? { shortNames: [...info.shortNames] } : {}),
        categories: [...info.categories],
      },
      scope: "Namespaced",
      versions,
    },
  };
}

/** The CRDs of every Istio kind Rigging serves, in a stable order. */
export function generateCrds(): CustomResourceDefinition[] {
  return KIND_NAMES.map(name => crdFor(KINDS[name]));
}
