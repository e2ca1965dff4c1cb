/**
 * `creators list`: every creator of a stack with its plan, state, domains and
 * monthly cost share from the cost model (infra/cost). The model reports cost
 * per plan, not per creator: a creator with a site is shown its plan's cost per
 * creator (an average over the plan's active and suspended creators), and a
 * retired creator has no site and no share (its volume is in the shared costs
 * the others carry).
 */
import { stackNameOf } from "../../infra/config/stack-file.ts";
import type { Creator } from "../../infra/config/schema.ts";
import { type CostReport, costReport } from "../../infra/cost/index.ts";
import { headline, usd } from "../cost/format.ts";
import { table } from "../table.ts";
import { readText, validatedConfig } from "./check.ts";

export interface CreatorRow extends Pick<Creator, "id" | "plan" | "state" | "domains"> {
  monthlyUsd: number;
}

export interface CreatorList {
  stack: string;
  file: string;
  monthlyTotalUsd: number;
  perCreatorUsd: number;
  maxMonthlyCostPerCreator: number | null;
  creators: CreatorRow[];
}

export const SHARE_NOTE =
  "monthly share: the plan's cost per creator with a site, shared costs spread in proportion to requests (npm run cost); retired creators have no site: 0";

export function creatorRows(creators: readonly Creator[], cost: CostReport): CreatorRow[] {
  return creators.map(({ id, plan, state, domains }) => ({
    id,
    plan,
    state,
    domains,
    monthlyUsd: state === "retired" ? 0 : (cost.perPlan[plan]?.perCreatorUsd ?? 0),
  }));
}

/** The stack file read and validated as the plan reads it (not its cost ceiling: a list is not a change). */
export function listCreators(path: string, stacksDir?: string): { list: CreatorList; cost: CostReport } {
  const config = validatedConfig(readText(path), path, path, stacksDir);
  const cost = costReport(config, { source: path });
  const list: CreatorList = {
    stack: stackNameOf(path),
    file: path,
    monthlyTotalUsd: cost.monthlyTotalUsd,
    perCreatorUsd: cost.perCreatorUsd,
    maxMonthlyCostPerCreator: config.maxMonthlyCostPerCreator ?? null,
    creators: creatorRows(config.creators, cost),
  };
  return { list, cost };
}

export function renderList(list: CreatorList, cost: CostReport): string {
  const rows = table(["id", "plan", "state", "domains", "monthly share"]);
  for (const c of list.creators) rows.push([c.id, c.plan, c.state, c.domains.join(", "), usd(c.monthlyUsd)]);
  return `${headline(list.stack, cost)}\n${rows.toString()}\n${SHARE_NOTE}\n`;
}
