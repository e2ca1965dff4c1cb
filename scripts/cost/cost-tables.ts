/** `npm run cost` for people: the report as compact terminal tables. */
import type { CostDiff } from "../../infra/cost/diff.ts";
import type { CostReport } from "../../infra/cost/report.ts";
import { table } from "../table.ts";
import { BREAKDOWN_LABELS, POOL_HEAD, diffSummary, headline, idList, poolRow, signed, signedUsd, usd } from "./format.ts";

export function renderTable(stack: string, report: CostReport, ceiling: string | undefined, diff?: { diff: CostDiff; label: string }): string {
  const out = [headline(stack, report)];
  if (diff) {
    out.push(diffSummary(diff.diff, diff.label));
    if (diff.diff.creatorsAdded.length > 0) out.push(`  added: ${idList(diff.diff.creatorsAdded)}`);
    if (diff.diff.creatorsRemoved.length > 0) out.push(`  removed: ${idList(diff.diff.creatorsRemoved)}`);
    for (const c of diff.diff.creatorsChanged.slice(0, 20)) out.push(`  changed: ${c.id} ${c.from} → ${c.to}`);
  }
  out.push("");
  const items = table(diff ? ["item", "base", "head", "diff"] : ["item", "monthly"]);
  for (const [item, label] of Object.entries(BREAKDOWN_LABELS) as Array<[keyof CostReport["breakdown"], string]>) {
    const d = diff?.diff.breakdown[item];
    items.push(d ? [label, usd(d.base), usd(d.head), signedUsd(d.delta)] : [label, usd(report.breakdown[item])]);
  }
  const t = diff?.diff.monthlyTotalUsd;
  items.push(t ? ["Total", usd(t.base), usd(t.head), signedUsd(t.delta)] : ["Total", usd(report.monthlyTotalUsd)]);
  out.push(items.toString());

  if (report.nodes.length > 0) {
    out.push("", "Nodes (utilisation = requested ÷ allocatable):");
    const pools = table(diff ? [...POOL_HEAD, "base nodes"] : POOL_HEAD);
    for (const n of report.nodes) {
      const row = poolRow(n);
      const d = diff?.diff.nodes.find((x) => x.pool === n.pool);
      pools.push(diff ? [...row, d ? `${d.base} (${signed(d.delta)})` : "0"] : row);
    }
    out.push(pools.toString());
  }
  out.push("", "Per plan (shared costs spread in proportion to requests):");
  const plans = table(["plan", "creators", "requests per creator", "per creator", "monthly"]);
  for (const [name, p] of Object.entries(report.perPlan)) {
    const r = p.requestsPerCreator;
    plans.push([name, p.creators, `${r.cpuMillis}m, ${r.memoryMiB} MiB, ${r.pods} pod${r.pods === 1 ? "" : "s"}`, usd(p.perCreatorUsd), usd(p.monthlyUsd)]);
  }
  out.push(plans.toString());
  if (ceiling) out.push("", `COST CEILING EXCEEDED: ${ceiling}`);
  if (report.warnings.length > 0) out.push("", "Warnings:", ...report.warnings.map((w) => `  - ${w}`));
  out.push("", "Assumptions:", ...report.assumptions.map((a) => `  - ${a}`));
  return `${out.join("\n")}\n`;
}
