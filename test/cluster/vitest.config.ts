import { defineConfig } from "vitest/config";

// The local control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok) against which the cluster tests run
// (`npm run test:cluster`). The first run builds the Go tools (see
// scripts/tools/build-tools.ts): tens of minutes cold, hence the hook timeout;
// cached, the control plane starts in seconds. One file at a time, each in its
// own process: every file starts its own control plane.
export default defineConfig({
  test: {
    include: ["test/cluster/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 3_600_000,
    teardownTimeout: 60_000,
  },
});
