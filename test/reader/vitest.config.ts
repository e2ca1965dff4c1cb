import { defineConfig } from "vitest/config";

// A reader's visit in headless Chromium through the real shared cache to a real Ghost (`npm run test:reader`).
export default defineConfig({
  test: { include: ["test/reader/**/*.test.ts"], pool: "forks", testTimeout: 180_000, hookTimeout: 600_000 },
});
