import { defineConfig } from "vitest/config";

// Unit and component tests. Pulumi's runtime state is process-global, so every
// test file runs in its own worker process (vitest's default "forks" pool).
// The real-Ghost integration test (`npm run test:ghost`), the cluster suite
// (`npm run test:cluster`: a real control plane and Pulumi engine) and the cache tier
// against a real nginx (`npm run test:cache`) run separately: they need
// programs the project installs in CI.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/ghost/**", "test/cache/**", "test/cluster/**", "node_modules/**"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
