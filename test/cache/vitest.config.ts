import { defineConfig } from "vitest/config";

// The cache tier against a real nginx (`npm run test:cache`; CI installs Debian's nginx first).
export default defineConfig({
  test: { include: ["test/cache/**/*.test.ts"], pool: "forks", testTimeout: 60_000, hookTimeout: 60_000 },
});
