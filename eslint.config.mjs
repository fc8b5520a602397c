// ESLint flat config: TypeScript's recommended rules over the whole module.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS entry points (the `rig` bin shim, the jest reporter) load with require().
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The dashboard page runs in the browser, as a classic script next to cytoscape's bundle.
    files: ["cli/dashboard/page/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.browser, cytoscape: "readonly" },
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "no-console": "off",
    },
  },
  {
    // One direction of flow (../shared/DESIGN.md): mesh/ is the pure core that the compiler, the
    // control plane, the capabilities and the CLI read, so it imports none of them, and none of
    // the run-time packages that only they may touch.
    files: ["mesh/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            "pepr",
            "@grpc/grpc-js",
            "@kubernetes/client-node",
            "kubernetes-fluent-client",
          ].map(name => ({
            name,
            message: "mesh/ is pure: no Pepr, grpc-js or Kubernetes client.",
          })),
          patterns: [
            {
              regex: "^(\\.\\./)+(xds|control-plane|capabilities|cli)(/|$)",
              message:
                "mesh/ is upstream of xds/, control-plane/, capabilities/ and cli/: move the code that needs them downstream, or the type it needs into mesh/.",
            },
          ],
        },
      ],
    },
  },
);
