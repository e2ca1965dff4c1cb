import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Unit and component tests. Pulumi's runtime state is process-global, so every
// test file runs in its own worker process (vitest's default "forks" pool).
// One worker per core: vitest's default leaves a core to its own process, which
// idles while the tests run (on two cores that was one worker, and the other core
// idle whenever a test waited for a CLI it had spawned).
// The real-Ghost integration test (`npm run test:ghost`), the cluster suite
// (`npm run test:cluster`: a real control plane and Pulumi engine), the shared cache
// against a real nginx (`npm run test:cache`) and a reader's visit in Chromium
// (`npm run test:reader`) run separately: they need programs the project installs in CI.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/ghost/**", "test/cache/**", "test/cluster/**", "test/reader/**", "node_modules/**"],
    pool: "forks",
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
