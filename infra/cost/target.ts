/**
 * Which requests reach a cost target: the plan's Ghost and sqld requests scaled
 * down together (their CPU : memory shape kept) until every creator of the
 * stack costs at most the target (or only the memory, or only the CPU, scaled). Answers "what must the plan ask for to cost $1?".
 */
import { MiB, bytes as bytesOf, cpuMillis as cpuOf } from "../config/quantity.ts";
import type { Plan } from "../config/schema.ts";
import type { ResolvedConfig } from "../config/validate.ts";
import { type CostReportOptions, costReport } from "./report.ts";

export interface TargetRequests {
  /** The scale applied to the plan's requests (1 = as configured). */
  factor: number;
  ghost: { cpuMillis: number; memoryMiB: number };
  sqld: { cpuMillis: number; memoryMiB: number };
  /** The plan's cost per creator with these requests. */
  perCreatorUsd: number;
}


/** Which requests are scaled: both (the plan's shape kept), or one of them with the other as configured. */
export type Scaled = "both" | "cpu" | "memory";

function scaled(plan: Plan, factor: number, which: Scaled): { plan: Plan; ghost: TargetRequests["ghost"]; sqld: TargetRequests["sqld"] } {
  const scale = (r: Plan["sqld"]) => {
    const cpuFactor = which === "memory" ? 1 : factor;
    const memoryFactor = which === "cpu" ? 1 : factor;
    const cpuMillis = Math.max(1, Math.floor(cpuOf(r.requests.cpu) * cpuFactor));
    const memoryMiB = Math.max(1, Math.floor((bytesOf(r.requests.memory) / MiB) * memoryFactor));
    return { cpuMillis, memoryMiB, requests: { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi` } };
  };
  const g = scale(plan.ghost);
  const s = scale(plan.sqld);
  return {
    plan: { ...plan, ghost: { ...plan.ghost, requests: g.requests }, sqld: { ...plan.sqld, requests: s.requests } },
    ghost: { cpuMillis: g.cpuMillis, memoryMiB: g.memoryMiB },
    sqld: { cpuMillis: s.cpuMillis, memoryMiB: s.memoryMiB },
  };
}

/**
 * The largest scale (to 1 %) at which `planName` costs at most `targetUsd` per creator in
 * this stack, or undefined when even 1 % of the requests misses it (fixed costs dominate).
 */
export function requestsForTarget(
  config: ResolvedConfig,
  planName: string,
  targetUsd: number,
  options: CostReportOptions & { scale?: Scaled } = {},
): TargetRequests | undefined {
  const plan = config.plans[planName];
  if (!plan) throw new Error(`requestsForTarget: no plan "${planName}"`);
  const attempt = (factor: number): TargetRequests => {
    const s = scaled(plan, factor, options.scale ?? "both");
    const report = costReport({ ...config, plans: { ...config.plans, [planName]: s.plan } }, { ...options, compareSizes: false });
    const perCreatorUsd = report.perPlan[planName]?.perCreatorUsd ?? report.perCreatorUsd;
    return { factor, ghost: s.ghost, sqld: s.sqld, perCreatorUsd };
  };
  let low = 1; // in hundredths
  let high = 100;
  if (attempt(high / 100).perCreatorUsd <= targetUsd) return attempt(1);
  if (attempt(low / 100).perCreatorUsd > targetUsd) return undefined;
  // Invariant: `low` meets the target, `high` misses it.
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (attempt(mid / 100).perCreatorUsd <= targetUsd) low = mid;
    else high = mid;
  }
  return attempt(low / 100);
}
