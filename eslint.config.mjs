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
);
