/**
 * One offline plan of a stack file, measured from inside its own process:
 * prints {"ms", "maxRssMiB", "resources", "creators"} as JSON. Used by the plan
 * benchmark, which runs each size in a fresh process (Pulumi's runtime is
 * process-global and memory must be measured per plan).
 */
import { performance } from "node:perf_hooks";
import { runPlan } from "../../infra/offline/offline-plan.ts";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: tsx scripts/plan/measure.ts <stack file>\n");
  process.exit(2);
}
const start = performance.now();
const plan = await runPlan(file);
const ms = performance.now() - start;
const resources = Object.values(plan.resources).reduce((a, b) => a + b, 0);
process.stdout.write(
  `${JSON.stringify({ ms: Math.round(ms), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), resources, creators: plan.creators })}\n`,
);
