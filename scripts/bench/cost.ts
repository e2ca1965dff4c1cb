/**
 * Benchmark: dollars per creator for every shipped stack, and the targets for
 * the built-in starter plan at 500 creators (Civo at most $1.00 at
 * sleep.peakAwakeFraction 0.35, Linode at most $1.25 at 0.5), each on the
 * cheapest node size the provider sells, sleeping beside always awake.
 */
import { BUILT_IN_PLANS } from "../../infra/config/plans.ts";
import { loadStackFile, stackFilePath } from "../../infra/config/stack-file.ts";
import { ConfigError, type ResolvedConfig } from "../../infra/config/validate.ts";
import { type CostReport, alwaysAwake, costReport } from "../../infra/cost/report.ts";
import { requestsForTarget } from "../../infra/cost/target.ts";
import { generateResolvedConfig } from "../fixtures/stacks.ts";
import type { BenchSection } from "../bench.ts";
import { availableStacks } from "../stack-option.ts";

function shippedStacks(): { rows: BenchSection["rows"]; notes: string[] } {
  const rows: BenchSection["rows"] = [];
  const notes: string[] = [];
  for (const stack of availableStacks()) {
    try {
      const { config } = loadStackFile(stackFilePath(stack));
      const report = costReport(config, { source: stackFilePath(stack) });
      rows.push({
        stack,
        creators: report.creators,
        nodes: report.nodes.map((n) => `${n.count} × ${n.size}`).join(", ") || "-",
        "$ / month": report.monthlyTotalUsd.toFixed(2),
        "$ / creator": report.perCreatorUsd.toFixed(2),
        "per plan": Object.entries(report.perPlan)
          .map(([plan, p]) => `${plan} $${p.perCreatorUsd.toFixed(2)} (${p.creators})`)
          .join(", "),
        "prices of": report.priceDate ?? "-",
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      notes.push(`${stack}: ${error.message}`);
    }
  }
  return { rows, notes };
}

/** The stack on its cheapest node size: a target holds if any size the provider sells meets it. */
function atCheapestSize(config: ResolvedConfig): CostReport {
  const report = costReport(config);
  if (!report.cheaperSize || config.cluster.provider === "existing") return report;
  const size = report.cheaperSize.size;
  const pool = config.cluster.provider === "civo" ? { name: "pool-a", size } : { name: "pool-a", type: size };
  return costReport({ ...config, cluster: { ...config.cluster, nodePools: [pool] } } as ResolvedConfig);
}

function target(provider: "civo" | "linode", usd: number, peakAwakeFraction: number): string {
  // Linode: node-local storage, since a 10 GB block volume per creator alone costs $1.00.
  const generated = generateResolvedConfig({ provider, creators: 500, ...(provider === "linode" ? { storage: { type: "local" } } : {}) });
  const config: ResolvedConfig = { ...generated, sleep: { ...generated.sleep, peakAwakeFraction } };
  const report = atCheapestSize(config);
  const pool = report.nodes.map((n) => `${n.count} × ${n.size}`).join(", ");
  const verdict = report.perCreatorUsd <= usd ? "met" : "NOT met";
  const sleep = report.sleep;
  const awakeReport = atCheapestSize(alwaysAwake(config));
  const awakePool = awakeReport.nodes.map((n) => `${n.count} × ${n.size}`).join(", ");
  const awake = sleep
    ? `; always awake $${awakeReport.perCreatorUsd.toFixed(2)} on ${awakePool}; headroom ${sleep.burstPods} burst pods + ${sleep.spareNodes} spare node = $${sleep.headroomUsd.toFixed(2)} a month, included`
    : "";
  const needed = verdict === "met" ? undefined : requestsForTarget(config, "starter", usd, { scale: "memory" });
  const hint = needed ? `; memory requests that would meet it: Ghost ${needed.ghost.memoryMiB}Mi + sqld ${needed.sqld.memoryMiB}Mi` : "";
  return `${provider}, 500 starter creators at peakAwakeFraction ${peakAwakeFraction} on ${pool}: sleeping $${report.perCreatorUsd.toFixed(2)} per creator, target $${usd.toFixed(2)}: ${verdict}${awake}${hint}`;
}

export default async function bench(): Promise<BenchSection> {
  const { rows, notes } = shippedStacks();
  const starter = BUILT_IN_PLANS.starter;
  notes.push(
    `starter plan: Ghost ${starter?.ghost.requests.cpu}/${starter?.ghost.requests.memory}, sqld ${starter?.sqld.requests.cpu}/${starter?.sqld.requests.memory}`,
    target("civo", 1.0, 0.35),
    target("linode", 1.25, 0.5),
    "peakAwakeFraction is an ASSUMPTION of the stack, not a measurement (README, Sleeping creators: how to measure it)",
  );
  return { title: "Cost per creator (npm run cost): shipped stacks and the $1 targets", rows, notes };
}
