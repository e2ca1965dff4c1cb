import { defineConfig } from "vitest/config";

// Unit and component tests. Pulumi's runtime state is process-global, so every
// test file runs in its own worker process (vitest's default "forks" pool).
// The real-Ghost integration test has its own config (test/ghost) and runs
// through `npm run test:ghost`.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/ghost/**", "node_modules/**"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
