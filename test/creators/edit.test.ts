/**
 * The creators list edited as a reviewer wants to read the diff: on the shipped
 * stacks an add is one added line and a state change one changed line, every
 * comment kept; other layouts go through the yaml Document API, comments kept.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { stackFilePath } from "../../infra/config/stack-file.ts";
import { addCreator, setCreatorState } from "../../scripts/creators/edit.ts";
import { generateStackConfig, writeStackFile } from "../../scripts/fixtures/stacks.ts";
import { availableStacks } from "../../scripts/stack-option.ts";

type Entry = { id: string; plan: string; state?: string; domains?: string[] };
const creatorsOf = (text: string): Entry[] => (parse(text) as { config: Record<string, Entry[]> }).config["creator-platform:creators"] ?? [];

/** The lines of `after` that are not in `before`, and those of `before` not in `after`, in order (a plain LCS diff). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  const lcs = a.map(() => new Array<number>(b.length + 1).fill(0));
  lcs.push(new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const added: string[] = [];
  const removed: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) [i, j] = [i + 1, j + 1];
    else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) added.push(b[j++]!);
    else removed.push(a[i++]!);
  }
  return { added, removed };
}

const comments = (text: string) => text.split("\n").filter((line) => line.includes("#"));

describe.each(availableStacks())("stack %s as shipped", (stack) => {
  const text = readFileSync(stackFilePath(stack), "utf8");
  const creators = creatorsOf(text);

  it("an add is one line after the last creator, in its style", () => {
    const after = addCreator(text, { id: "new-writer", plan: "standard", domains: ["new-writer.blog", "www.new-writer.blog"] });
    expect(lineDiff(text, after)).toEqual({ added: ["    - { id: new-writer, plan: standard, domains: [new-writer.blog, www.new-writer.blog] }"], removed: [] });
    expect(creatorsOf(after)).toEqual([...creators, { id: "new-writer", plan: "standard", domains: ["new-writer.blog", "www.new-writer.blog"] }]);
    expect(comments(after)).toEqual(comments(text));
    expect(addCreator(text, { id: "plain", plan: "starter", domains: [] })).toContain("\n    - { id: plain, plan: starter }\n");
  });

  it("suspend, retire and resume each change that creator's line alone, and come back to the same text", () => {
    const first = creators.find((c) => c.state === undefined) as Entry;
    const suspended = setCreatorState(text, first.id, "suspended");
    const retired = setCreatorState(suspended, first.id, "retired");
    const resumed = setCreatorState(retired, first.id, "active");
    for (const [from, to, state] of [[text, suspended, "suspended"], [suspended, retired, "retired"]] as const) {
      const diff = lineDiff(from, to);
      expect(diff.added).toHaveLength(1);
      expect(diff.removed).toHaveLength(1);
      expect(diff.added[0]).toMatch(new RegExp(`^    - \\{ id: ${first.id}, .*state: ${state} \\}$`));
    }
    expect(creatorsOf(retired).find((c) => c.id === first.id)?.state).toBe("retired");
    // Active is the default: resuming leaves `state` out, as the stacks write active creators.
    expect(resumed).toBe(text);
  });
});

describe("other layouts: the Document API, comments and order kept", () => {
  const dir = mkdtempSync(join(tmpdir(), "creators-edit-"));
  const path = writeStackFile(dir, "block", generateStackConfig({ provider: "civo", creators: 3, suspended: 1 }));
  const text = readFileSync(path, "utf8").replace("config:\n", "# the stack's own comment\nconfig:\n").replace("  creator-platform:creators:\n", "  # who is on this stack\n  creator-platform:creators:\n");

  it("block maps: a block map added, the rest as it was", () => {
    const after = addCreator(text, { id: "new-writer", plan: "starter", domains: ["nw.example.net"] });
    expect(creatorsOf(after).map((c) => c.id)).toEqual(["c00001", "c00002", "c00003", "new-writer"]);
    expect(after.startsWith(text.trimEnd())).toBe(true);
    expect(after.slice(text.trimEnd().length)).toBe("\n    - id: new-writer\n      plan: starter\n      domains:\n        - nw.example.net\n");
    const resumed = setCreatorState(text, "c00003", "active");
    expect(creatorsOf(resumed)[2]).toEqual({ id: "c00003", plan: "starter" });
    expect(comments(resumed)).toEqual(comments(text));
  });

  it("an empty or a missing list becomes a list of lines", () => {
    const empty = text.replace(/ {2}creator-platform:creators:\n(?: {4}.*\n)+/, "  creator-platform:creators: []\n");
    expect(creatorsOf(empty)).toEqual([]);
    const added = addCreator(empty, { id: "first", plan: "starter", domains: [] });
    expect(added).toContain("  creator-platform:creators:\n    - { id: first, plan: starter }\n");
    expect(comments(added)).toEqual(comments(text));
    const missing = addCreator(empty.replace("  creator-platform:creators: []\n", ""), { id: "first", plan: "starter", domains: [] });
    expect(creatorsOf(missing)).toEqual([{ id: "first", plan: "starter" }]);
  });
});
