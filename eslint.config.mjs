import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/*.js", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // The serialized provider shim loads the installed package at run time, on purpose (and a
    // disable comment inside it would be serialized into every resource's state).
    // Carriers load their SDKs the same way, when first built, so that requiring the package does not.
    // The command line loads each subcommand only when it is called.
    files: [
      "provider/resource.ts",
      "provider/hosted.ts",
      "provider/carriers/**/*.ts",
      "provider/cli/index.ts",
    ],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
