/** Money, percentages and node lines as both the table and the markdown output show them. */
import type { CostDiff } from "../../infra/cost/diff.ts";
import type { CostReport, NodePoolReport } from "../../infra/cost/report.ts";

export const usd = (n: number, places = 2): string => `${n < 0 ? "-" : ""}$${Math.abs(n).toFixed(places)}`;
export const signedUsd = (n: number, places = 2): string => (n > 0 ? `+${usd(n, places)}` : n < 0 ? usd(n, places) : usd(0, places));
export const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`;
export const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

export const BREAKDOWN_LABELS: Record<keyof CostReport["breakdown"], string> = {
  nodes: "Nodes",
  loadBalancer: "Load balancer",
  volumes: "Volumes",
  objectStorage: "Object storage",
  controlPlane: "Control plane",
};

export function poolRow(n: NodePoolReport): string[] {
  const bound = n.source === "derived" ? "from creators" : n.source === "count" ? "count" : `autoscaler ${n.bounds.min}-${n.bounds.max}`;
  return [
    n.pool,
    n.size,
    `${n.count} (${bound})`,
    percent(n.utilisation.cpu),
    percent(n.utilisation.memory),
    percent(n.utilisation.pods),
    percent(n.utilisation.volumes),
    n.limitedBy,
    usd(n.monthlyUsd),
  ];
}
export const POOL_HEAD = ["pool", "size", "nodes", "cpu", "memory", "pods", "volumes", "fills first", "monthly"];

export function headline(stack: string, report: CostReport): string {
  const where = report.provider === "existing" ? "existing cluster" : `${report.provider} ${report.region}`;
  const prices = report.priceDate ? `, prices dated ${report.priceDate}` : "";
  return `Stack ${stack} (${where}): ${usd(report.monthlyTotalUsd)} a month for ${report.creators} creators, ${usd(report.perCreatorUsd)} per creator${prices}`;
}

export function diffSummary(diff: CostDiff, baseLabel: string): string {
  const m = diff.monthlyTotalUsd;
  const direction = m.delta > 0 ? "increase" : m.delta < 0 ? "decrease" : "stay the same";
  const by = m.delta === 0 ? "" : ` by ${usd(Math.abs(m.delta))}`;
  const changed = diff.creatorsChanged.length > 0 ? `, ${diff.creatorsChanged.length} changed` : "";
  return (
    `Against ${baseLabel}: monthly cost will ${direction}${by} (${usd(m.base)} → ${usd(m.head)}); ` +
    `per creator ${usd(diff.perCreatorUsd.base)} → ${usd(diff.perCreatorUsd.head)}; ` +
    `creators ${diff.creators.base} → ${diff.creators.head} (${diff.creatorsAdded.length} added, ${diff.creatorsRemoved.length} removed${changed}).`
  );
}

/** At most `max` ids, then how many more. */
export function idList(ids: string[], max = 20): string {
  return ids.length <= max ? ids.join(", ") : `${ids.slice(0, max).join(", ")} and ${ids.length - max} more`;
}
