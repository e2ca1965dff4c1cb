/**
 * The layering, checked on every `npm test` (dependency-cruiser):
 * - the pure decisions (infra/config, render, cost, platform, contract, ghost)
 *   import no Pulumi package and no component: config → desired objects and
 *   cost are plain functions; the program (infra/*.ts), the mock engine
 *   (infra/offline) and components/ are the Pulumi side;
 * - render does not import platform (platform may import render: one way);
 * - scripts/ do not import test/ (the generators, the Ghost installer, the
 *   sqld token tool and the cluster harness that benchmarks use live in scripts/);
 * - no import cycles.
 */
const DECISIONS = "^infra/(config|render|cost|platform|contract|ghost)/";
module.exports = {
  forbidden: [
    { name: "decisions-import-no-pulumi", severity: "error", from: { path: DECISIONS }, to: { path: "^node_modules/@pulumi/" } },
    { name: "decisions-import-no-components", severity: "error", from: { path: DECISIONS }, to: { path: "^components/" } },
    { name: "decisions-import-no-engine", severity: "error", from: { path: DECISIONS }, to: { path: "^infra/(offline/|index\\.ts|program\\.ts|pulumi-config\\.ts)" } },
    { name: "render-imports-no-platform", severity: "error", from: { path: "^infra/render/" }, to: { path: "^infra/platform/" } },
    { name: "scripts-import-no-tests", severity: "error", from: { path: "^scripts/" }, to: { path: "^test/" } },
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports are erased: they make no cycle and no runtime dependency.
    tsPreCompilationDeps: false,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
