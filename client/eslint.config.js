// ESLint 9 flat config: rules that find bugs (hooks, JSX, accessibility, tests), none about layout or
// taste. Warnings fail `npm run lint` too (--max-warnings 0), so nothing is left half-enforced.
import js from "@eslint/js";
import vitest from "@vitest/eslint-plugin";
import jsxA11y from "eslint-plugin-jsx-a11y";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default [
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  {
    files: ["src/**/*.{js,jsx}"],
    ...react.configs.flat.recommended,
    ...react.configs.flat["jsx-runtime"],
    languageOptions: {
      ...react.configs.flat.recommended.languageOptions,
      globals: { ...globals.browser },
    },
    settings: { react: { version: "detect" } },
    rules: {
      ...react.configs.flat.recommended.rules,
      ...react.configs.flat["jsx-runtime"].rules,
      // Types are not checked in this code base (no PropTypes, no TypeScript): a rule about declaring them
      // would only add boilerplate.
      "react/prop-types": "off",
      // Only the characters that betray a typo in JSX text (a stray ">" or "}"); apostrophes are prose.
      "react/no-unescaped-entities": ["error", { forbid: [">", "}"] }],
    },
  },
  reactHooks.configs.flat["recommended-latest"],
  { files: ["src/**/*.{js,jsx}"], ...jsxA11y.flatConfigs.recommended },
  {
    files: ["src/**/*.test.{js,jsx}", "src/test/**"],
    ...vitest.configs.recommended,
    rules: {
      ...vitest.configs.recommended.rules,
      // Testing Library's findBy*/waitFor fail the test when what they wait for never comes.
      "vitest/expect-expect": ["error", { assertFunctionNames: ["expect", "expect*", "*.findBy*", "*.findAllBy*", "waitFor"] }],
      "vitest/no-focused-tests": "error",
      "vitest/no-disabled-tests": "error",
    },
  },
  {
    // The service worker runs in its own global scope (self, clients, registration), not in a page.
    files: ["src/sw.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ["*.config.js", "vite-plugin-*.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
