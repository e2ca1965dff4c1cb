/** Warnings a cost report carries: a stack to shard, volume attachments that bind, a cheaper node size. */
import type { ResolvedConfig } from "../config/validate.ts";
import type { CostReport } from "./report.ts";

/**
 * Beyond about this many creators one state file gets slow: a self-managed backend
 * rewrites the whole state at every step, so a first `pulumi up` of 200 creators took
 * 16 minutes against 68 s for 50 (`npm run bench -- --only up`, the real engine).
 */
export const SHARD_THRESHOLD = 150;

/** Requests per creator past which a plan is more likely a typo than a choice (pro asks 300m and 304 MiB). */
const ABSURD = { cpuMillis: 2000, memoryMiB: 4096 };

export function shardingWarning(creators: number): string | undefined {
  if (creators <= SHARD_THRESHOLD) return undefined;
  const stacks = Math.ceil(creators / SHARD_THRESHOLD);
  return (
    `This stack has ${creators} creators, more than the ~${SHARD_THRESHOLD} one stack handles well: every creator adds a dozen ` +
    "resources to one state file that a self-managed backend saves whole at each step (a first `pulumi up` of 200 creators took " +
    `16 minutes, of 50 about one), and one cluster is one failure domain. Shard it into ${stacks} stacks of at most ${SHARD_THRESHOLD} creators, ` +
    "each with its own cluster and state (stacks/Pulumi.<region>-a.yaml, -b, …), and move creators between them with " +
    "`npm run ops -- move`; infra/cost/README.md (Sharding) shows how."
  );
}

export function costWarnings(input: { config: ResolvedConfig; report: CostReport | undefined }): string[] {
  const { config, report } = input;
  const warnings: string[] = [];
  const shard = shardingWarning(config.creators.length);
  if (shard) warnings.push(shard);
  if (!report) return warnings;
  if (report.creators === 0) warnings.push("No creator has a site: the cost per creator is shown as 0.");
  for (const [plan, entry] of Object.entries(report.perPlan)) {
    const r = entry.requestsPerCreator;
    if (r.cpuMillis <= ABSURD.cpuMillis && r.memoryMiB <= ABSURD.memoryMiB) continue;
    warnings.push(
      `Plan ${plan} asks ${r.cpuMillis}m CPU and ${r.memoryMiB} MiB per creator, far beyond any built-in plan: ` +
        `$${entry.perCreatorUsd.toFixed(2)} a month for each of its ${entry.creators} creators. Check its sizes (plans.${plan}).`,
    );
  }
  for (const pool of report.nodes) {
    if (pool.limitedBy === "volumes") {
      warnings.push(
        `Pool ${pool.pool}: block-volume attachments fill first (${pool.perNode.volumes} per ${pool.size} node, ` +
          `${Math.round(pool.utilisation.volumes * 100)} % used) while memory is ${Math.round(pool.utilisation.memory * 100)} % used: ` +
          "with one volume per creator this caps creators per node; storage.type local or nodes with more memory lift the cap.",
      );
    }
  }
  if (report.cheaperSize) {
    const c = report.cheaperSize;
    warnings.push(
      `${c.count} × ${c.size} would cost $${c.savingUsd.toFixed(2)} less a month ($${c.perCreatorUsd.toFixed(2)} per creator) than the configured pools.`,
    );
  }
  return warnings;
}
