/**
 * A property of the program under the mock runtime, over random creator lists
 * and random edits (add one, retire one, reorder, change one creator's plan):
 * exactly the edited creator's objects change; every other creator's objects
 * are registered with the same names and the same inputs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Registration } from "../../infra/offline/mocks.ts";
import { creatorOf } from "../../infra/offline/offline-plan.ts";
import { resolvedConfig } from "../support/config.ts";
import { runProgram } from "../support/run-program.ts";

const IDS = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal"];
const PLANS = ["starter", "standard", "pro"];

interface Line {
  id: string;
  plan: string;
  state?: "retired";
}

type Edit = { kind: "add"; plan: string } | { kind: "retire"; at: number } | { kind: "reorder"; seed: number } | { kind: "plan"; at: number; plan: string };

const lists = fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 2, maxLength: 5 }).chain((ids) =>
  fc.tuple(...ids.map((id) => fc.constantFrom(...PLANS).map((plan): Line => ({ id, plan })))),
);
const edits: fc.Arbitrary<Edit> = fc.oneof(
  fc.constantFrom(...PLANS).map((plan) => ({ kind: "add" as const, plan })),
  fc.nat().map((at) => ({ kind: "retire" as const, at })),
  fc.nat().map((seed) => ({ kind: "reorder" as const, seed })),
  fc.tuple(fc.nat(), fc.constantFrom(...PLANS)).map(([at, plan]) => ({ kind: "plan" as const, at, plan })),
);

/** The edited list and the creator the edit touched (none for a reorder). */
function apply(list: Line[], edit: Edit): { after: Line[]; touched: string | undefined } {
  switch (edit.kind) {
    case "add": {
      const id = IDS.find((i) => !list.some((l) => l.id === i)) as string;
      return { after: [...list, { id, plan: edit.plan }], touched: id };
    }
    case "retire": {
      const target = list[edit.at % list.length] as Line;
      return { after: list.map((l) => (l === target ? { ...l, state: "retired" } : l)), touched: target.id };
    }
    case "reorder": {
      const keyed = list.map((l, i) => ({ l, k: (i * 2654435761 + edit.seed) % 1000003 }));
      return { after: keyed.sort((a, b) => a.k - b.k).map((x) => x.l), touched: undefined };
    }
    case "plan": {
      const target = list[edit.at % list.length] as Line;
      const plan = PLANS.find((p) => p !== target.plan && p === edit.plan) ?? (PLANS.find((p) => p !== target.plan) as string);
      return { after: list.map((l) => (l === target ? { ...l, plan } : l)), touched: target.id };
    }
  }
}

/** Each creator's registrations, by name, with their inputs. */
async function byCreator(list: Line[]): Promise<Map<string, Map<string, string>>> {
  const { engine } = await runProgram(resolvedConfig({ creators: list, monitoring: { enabled: false } }));
  const out = new Map<string, Map<string, string>>();
  for (const r of engine.registrations as Registration[]) {
    const id = creatorOf(r);
    if (!id) continue;
    const objects = out.get(id) ?? new Map<string, string>();
    objects.set(`${r.type}::${r.name}`, JSON.stringify(r.inputs));
    out.set(id, objects);
  }
  return out;
}

describe("random edits of the creators list", () => {
  it("change exactly the edited creator's objects", async () => {
    await fc.assert(
      fc.asyncProperty(lists, edits, async (list, edit) => {
        const { after, touched } = apply(list, edit);
        const [before, now] = [await byCreator(list), await byCreator(after)];
        for (const id of new Set([...before.keys(), ...now.keys()])) {
          if (id === touched) {
            expect(JSON.stringify([...(now.get(id) ?? [])]), `${edit.kind} ${id}`).not.toBe(JSON.stringify([...(before.get(id) ?? [])]));
          } else {
            expect(now.get(id), `${edit.kind}: ${id} was not edited`).toEqual(before.get(id));
          }
        }
      }),
      { numRuns: 20 },
    );
  });
});
