/**
 * The difference between two versions of a stack, the way Infracost comments on
 * a pull request: creators added and removed, nodes per pool, dollars per month.
 * A missing base (a new stack) counts as an empty one.
 */
import type { ResolvedConfig } from "../config/validate.ts";
import { round } from "./billing.ts";
import type { Breakdown, CostReport } from "./report.ts";

export interface Version {
  config: ResolvedConfig;
  report: CostReport;
}

export interface CostDiff {
  creatorsAdded: string[];
  creatorsRemoved: string[];
  /** Creators whose plan or state changed. */
  creatorsChanged: Array<{ id: string; from: string; to: string }>;
  creators: { base: number; head: number };
  monthlyTotalUsd: { base: number; head: number; delta: number };
  perCreatorUsd: { base: number; head: number; delta: number };
  breakdown: Record<keyof Breakdown, { base: number; head: number; delta: number }>;
  nodes: Array<{ pool: string; baseSize: string | null; headSize: string | null; base: number; head: number; delta: number }>;
}

const change = (base: number, head: number, places = 2) => ({ base, head, delta: round(head - base, places) });
const label = (c: ResolvedConfig["creators"][number]) => `${c.plan}${c.state === "active" ? "" : ` (${c.state})`}`;

export function costDiff(base: Version | undefined, head: Version): CostDiff {
  const before = new Map((base?.config.creators ?? []).map((c) => [c.id, c]));
  const after = new Map(head.config.creators.map((c) => [c.id, c]));
  const creatorsChanged: CostDiff["creatorsChanged"] = [];
  for (const [id, c] of after) {
    const old = before.get(id);
    if (old && label(old) !== label(c)) creatorsChanged.push({ id, from: label(old), to: label(c) });
  }
  const breakdown = Object.fromEntries(
    (Object.keys(head.report.breakdown) as Array<keyof Breakdown>).map((item) => [item, change(base?.report.breakdown[item] ?? 0, head.report.breakdown[item])]),
  ) as CostDiff["breakdown"];
  const pools = [...new Set([...(base?.report.nodes ?? []).map((n) => n.pool), ...head.report.nodes.map((n) => n.pool)])];
  return {
    creatorsAdded: [...after.keys()].filter((id) => !before.has(id)),
    creatorsRemoved: [...before.keys()].filter((id) => !after.has(id)),
    creatorsChanged,
    creators: { base: base?.report.creators ?? 0, head: head.report.creators },
    monthlyTotalUsd: change(base?.report.monthlyTotalUsd ?? 0, head.report.monthlyTotalUsd),
    perCreatorUsd: change(base?.report.perCreatorUsd ?? 0, head.report.perCreatorUsd, 4),
    breakdown,
    nodes: pools.map((pool) => {
      const b = base?.report.nodes.find((n) => n.pool === pool);
      const h = head.report.nodes.find((n) => n.pool === pool);
      return { pool, baseSize: b?.size ?? null, headSize: h?.size ?? null, ...change(b?.count ?? 0, h?.count ?? 0, 0) };
    }),
  };
}
