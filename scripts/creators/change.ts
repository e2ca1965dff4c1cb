/**
 * A change to one stack file's creators (add, or a state change by id), made
 * only when the stack as it would be passes what the plan checks
 * (check.ts). A refused change throws and leaves the file byte for byte as it
 * was. Nothing here deletes a creator: retiring keeps its entry and its data.
 */
import { stackNameOf } from "../../infra/config/stack-file.ts";
import type { Creator } from "../../infra/config/schema.ts";
import type { CostReport } from "../../infra/cost/index.ts";
import { checkedStack, readText, replaceFile, validatedConfig } from "./check.ts";
import { type CreatorState, type NewCreator, addCreator, setCreatorState } from "./edit.ts";

export const STATE_OF = { suspend: "suspended", resume: "active", retire: "retired" } as const satisfies Record<string, CreatorState>;
export type StateAction = keyof typeof STATE_OF;

export type Change = { action: "add"; creator: NewCreator } | { action: StateAction; id: string };

/** A state change names a creator the stack does not have (exit 1, like any input that cannot be acted on). */
export class UnknownCreatorError extends Error {
  override name = "UnknownCreatorError";
}

export interface ChangeResult {
  stack: string;
  file: string;
  action: Change["action"];
  /** False when the creator already was in that state: nothing was written. */
  changed: boolean;
  creator: Pick<Creator, "id" | "plan" | "state" | "domains">;
  /** The state before a state change. */
  from?: CreatorState;
  cost: { monthlyTotalUsd: number; perCreatorUsd: number; maxMonthlyCostPerCreator: number | null };
}

const SHOWN_IDS = 20;

function unknownCreator(id: string, stack: string, known: string[]): UnknownCreatorError {
  const sorted = [...known].sort();
  const more = sorted.length > SHOWN_IDS ? ` and ${sorted.length - SHOWN_IDS} more (list shows them all)` : "";
  const list = sorted.length > 0 ? `its creators: ${sorted.slice(0, SHOWN_IDS).join(", ")}${more}` : "it has no creators";
  return new UnknownCreatorError(`stack ${stack} has no creator "${id}"; ${list}`);
}

const changeId = (change: Change): string => (change.action === "add" ? change.creator.id : change.id);

/**
 * Applies `change` to the stack file at `path` and writes it, if the result
 * passes; throws ConfigError (the report) or UnknownCreatorError otherwise.
 * `stacksDir`: what counts as the repository's stacks for the cross-stack rules.
 */
export function changeStack(path: string, change: Change, stacksDir?: string): ChangeResult {
  const stack = stackNameOf(path);
  const before = readText(path);
  const current = validatedConfig(before, path, path, stacksDir);
  const id = changeId(change);
  let after: string;
  let from: CreatorState | undefined;
  if (change.action === "add") {
    after = addCreator(before, change.creator);
  } else {
    const existing = current.creators.find((c) => c.id === id);
    if (!existing) throw unknownCreator(id, stack, current.creators.map((c) => c.id));
    from = existing.state;
    after = from === STATE_OF[change.action] ? before : setCreatorState(before, id, STATE_OF[change.action]);
  }
  const { config, cost } = checkedStack(after, path, `${path} (after ${change.action} ${id})`, stacksDir);
  const changed = after !== before;
  if (changed) replaceFile(path, after);
  // The last entry with the id: after a refused duplicate add we never get here.
  const creator = config.creators.findLast((c) => c.id === id) as Creator;
  return {
    stack,
    file: path,
    action: change.action,
    changed,
    creator: { id: creator.id, plan: creator.plan, state: creator.state, domains: creator.domains },
    ...(from ? { from } : {}),
    cost: costSummary(cost, config.maxMonthlyCostPerCreator),
  };
}

export function costSummary(cost: CostReport, ceiling: number | undefined): ChangeResult["cost"] {
  return { monthlyTotalUsd: cost.monthlyTotalUsd, perCreatorUsd: cost.perCreatorUsd, maxMonthlyCostPerCreator: ceiling ?? null };
}
