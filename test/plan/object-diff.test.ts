/**
 * `npm run plan -- --base`: the object diff as a pure function, its rendering,
 * and end to end on the dev stack: a creator added, a plan changed, a creator
 * retired, each against the same head planned once in this process (the bases
 * in child processes, as the command plans them), and the command itself
 * against a git ref of a temporary repository.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { stackFilePath } from "../../infra/config/stack-file.ts";
import { type PlanResult, runPlan } from "../../infra/offline/offline-plan.ts";
import { type DiffContext, renderDiff, renderDiffMarkdown } from "../../scripts/plan/diff-output.ts";
import { type ObjectDiff, type PlannedObject, diffJson, diffSummary, fieldChanges, objectDiff } from "../../scripts/plan/object-diff.ts";
import { printPlan, stackArgs } from "../../scripts/plan/output.ts";
import { type PlannedVersion, planInChild, plannedObjects } from "../../scripts/plan/planned-objects.ts";

const ROOT = join(import.meta.dirname, "../..");

describe("fieldChanges", () => {
  const deployment = (memory: string, env: Array<{ name: string; value: string }>) => ({
    metadata: { name: "ghost", labels: { "creator-platform/plan": "starter" } },
    spec: { template: { spec: { containers: [{ name: "sqld" }, { name: "ghost", env, resources: { limits: { memory } } }] } } },
  });

  it("names the path of each changed leaf, list items of named objects by name", () => {
    expect(fieldChanges(deployment("320Mi", []), deployment("640Mi", []))).toEqual([
      { path: "spec.template.spec.containers[ghost].resources.limits.memory", from: "320Mi", to: "640Mi" },
    ]);
  });

  it("says which fields come and go, and quotes keys that are not identifiers", () => {
    const before = { metadata: { labels: { "creator-platform/plan": "starter" } }, spec: { a: 1 } };
    const after = { metadata: { labels: {} }, spec: { a: 1, b: { c: 2 } } };
    expect(fieldChanges(before, after)).toEqual([
      { path: 'metadata.labels["creator-platform/plan"]', from: "starter" },
      { path: "spec.b", to: { c: 2 } },
    ]);
  });

  it("compares other lists of objects by position, a list of values as one field, and a move of a named item", () => {
    expect(fieldChanges({ rules: [{ host: "a" }, { host: "b" }] }, { rules: [{ host: "a" }] })).toEqual([{ path: "rules[1]", from: { host: "b" } }]);
    expect(fieldChanges({ args: ["--a", "--b"] }, { args: ["--a", "--c"] })).toEqual([{ path: "args", from: ["--a", "--b"], to: ["--a", "--c"] }]);
    const a = { name: "A", value: "1" };
    const b = { name: "B", value: "2" };
    expect(fieldChanges(deployment("1", [a, b]), deployment("1", [b, a]))).toEqual([
      { path: "spec.template.spec.containers[ghost].env", from: ["A", "B"], to: ["B", "A"] },
    ]);
  });

  it("finds nothing in equal objects, and takes an undefined field for an absent one", () => {
    expect(fieldChanges(deployment("1", []), structuredClone(deployment("1", [])))).toEqual([]);
    expect(fieldChanges({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });
});

const object = (key: string, creator?: string, body: unknown = { key }, retainOnDelete = false): PlannedObject => ({
  key,
  ...(creator ? { creator } : {}),
  retainOnDelete,
  body,
});

describe("objectDiff", () => {
  const base = [
    object("Deployment/platform-ops/api", undefined, { replicas: 1 }),
    object("Namespace//creator-bob", "bob", {}, true),
    object("Deployment/creator-bob/ghost", "bob"),
    object("Service/creator-alice/ghost", "alice"),
  ];
  const head = [object("Deployment/platform-ops/api", undefined, { replicas: 2 }), object("Service/creator-alice/ghost", "alice"), object("Namespace//creator-dave", "dave")];
  const diff = objectDiff(base, head);

  it("sorts objects into create, update (with the fields), delete and retained; unchanged ones are left out", () => {
    expect(diffJson(diff)).toEqual({
      create: ["Namespace//creator-dave"],
      update: ["Deployment/platform-ops/api"],
      delete: ["Deployment/creator-bob/ghost"],
      retain: ["Namespace//creator-bob"],
      changes: { "Deployment/platform-ops/api": ["replicas"] },
    });
    expect(diffSummary(diff)).toBe("+1 ~1 -1");
  });

  it("groups per creator with the platform first; collapses past the threshold unless --all", () => {
    const context: DiffContext = { label: "main:stacks/Pulumi.x.yaml", base: { bob: site(), alice: site() }, head: { alice: site(), dave: site() }, states: { alice: "active", bob: "retired", dave: "active" } };
    const text = renderDiff(diff, context);
    expect(text.indexOf("platform: ~1")).toBeLessThan(text.indexOf("creator dave (new): +1"));
    expect(text).toContain("      replicas: 1 → 2");
    expect(text).toContain("creator bob (retired): -1 1 retained");
    expect(text).toContain("  = Namespace//creator-bob (retained");
    expect(text).toMatch(/Plan: \+1 ~1 -1, 1 retained/);

    const many = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, "0")}`);
    const big = objectDiff([], many.flatMap((id) => [object(`Namespace//creator-${id}`, id), object(`Service/creator-${id}/ghost`, id)]));
    const bigContext: DiffContext = { label: "main", base: {}, head: Object.fromEntries(many.map((id) => [id, site()])), states: {} };
    const collapsed = renderDiff(big, bigContext);
    expect(collapsed).toMatch(/300 creators \(new\): c000, c001, c002 and 297 more\s+│ 2 /);
    expect(collapsed.split("\n").length).toBeLessThan(20);
    expect(renderDiff(big, bigContext, true).split("\n").filter((l) => l.startsWith("  + "))).toHaveLength(600);
    const markdown = renderDiffMarkdown("x", big, bigContext, "npm run plan -- --stack x --base main --all");
    expect(markdown).toContain("<details><summary><b>300 creators (new): c000, c001, c002 and 297 more</b>: +2 each</summary>");
    expect(markdown).toContain("```diff\n+ Namespace//creator-c000\n+ Service/creator-c000/ghost\n```");
  });
});

function site(plan = "starter", state = "active"): PlanResult["perCreator"][string] {
  return { plan, state, resources: 1, urls: [] };
}

// The dev stack, edited: alice on the standard plan, bob retired, dave added.
const DEV = readFileSync(stackFilePath("dev"), "utf8");
const line = (id: string) => new RegExp(`^ {4}- \\{ id: ${id}, .*$`, "m");
const edit = (text: string, id: string, replacement: string) => text.replace(line(id), replacement);
const HEAD = edit(edit(edit(DEV, "alice", "    - { id: alice, plan: standard }"), "bob", "    - { id: bob, plan: starter, domains: [bob.test], state: retired }"), "carol", "    - { id: carol, plan: standard }\n    - { id: dave, plan: starter }");

const dir = mkdtempSync(join(tmpdir(), "object-diff-"));
/** A stack file named Pulumi.e2e.yaml (the stack's name comes from it) in a directory of its own. */
function stackFile(name: string, text: string): string {
  mkdirSync(join(dir, name), { recursive: true });
  const file = join(dir, name, "Pulumi.e2e.yaml");
  writeFileSync(file, text);
  return file;
}

describe("the object diff of the dev stack, planned", () => {
  const headFile = stackFile("head", HEAD);
  let head: PlanResult;
  // One base for the three changes (dave added, alice replanned, bob retired): one plan of the base
  // in a child process while this process plans the head. Each change shows in its creator's objects only.
  let diff: ObjectDiff;
  let base: PlannedVersion;

  beforeAll(async () => {
    const child = planInChild(stackFile("base", DEV), () => {});
    head = await runPlan(headFile);
    const objects = (await plannedObjects(head)).objects;
    base = await child.done;
    diff = objectDiff(base.objects, objects);
  });

  it("touches the three changed creators' objects and nothing else", () => {
    expect(diffSummary(diff)).toBe(`+${diff.create.length} ~${diff.update.length} -${diff.delete.length}`);
    expect([...new Set([...diff.create, ...diff.update, ...diff.delete, ...diff.retain].map((o) => o.creator ?? "(platform)"))].sort()).toEqual(["alice", "bob", "dave"]);
  });

  it("a creator added: every object created is the creator's", () => {
    expect(diff.create.length).toBeGreaterThan(10);
    expect(diff.create.every((o) => o.creator === "dave")).toBe(true);
    expect(diff.create.map((o) => o.key)).toEqual(expect.arrayContaining(["Namespace//creator-dave", "Deployment/creator-dave/ghost", "PersistentVolumeClaim/creator-dave/data"]));
  });

  it("a plan changed: updates with the changed fields' paths, from a plan that sleeps to one that does not", () => {
    expect(diff.update.every((o) => o.creator === "alice")).toBe(true);
    const headers = diff.update.find((o) => o.key === "Middleware/creator-alice/creator-headers");
    expect(headers?.changes).toContainEqual({ path: "spec.headers.customRequestHeaders.X-Creator-Sleep-After", from: "10m", to: "" });
    const ghost = diff.update.find((o) => o.key === "Deployment/creator-alice/ghost");
    expect(ghost?.changes).toContainEqual({ path: "spec.template.spec.containers[ghost].resources.limits.memory", from: "320Mi", to: "384Mi" });
    expect(ghost?.changes.map((c) => c.path)).toContain('metadata.labels["creator-platform/plan"]');
  });

  it("a creator retired: its workload deleted, its namespace and volume retained", () => {
    expect(diff.retain.map((o) => o.key)).toEqual(["Namespace//creator-bob", "PersistentVolumeClaim/creator-bob/data"]);
    expect(diff.delete.map((o) => o.key)).toContain("Deployment/creator-bob/ghost");
    expect(diff.delete.every((o) => o.creator === "bob")).toBe(true);
    const context: DiffContext = { label: "base", base: base.perCreator, head: head.perCreator, states: { bob: "retired" } };
    const text = renderDiff(diff, context);
    expect(text).toContain("creator bob (retired):");
    expect(text).toContain("  = PersistentVolumeClaim/creator-bob/data (retained: stays in the cluster with its data)");
    expect(text).toMatch(new RegExp(`Plan: \\+${diff.create.length} ~${diff.update.length} -${diff.delete.length}, 2 retained`));
  });

  it("points the cost hint of a --config plan at the same file", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      printPlan(head, [], { costArgs: stackArgs({ config: "anything" }, head) });
      expect(String(write.mock.calls[0]?.[0])).toContain(`(npm run cost -- --config ${headFile} for the breakdown)`);
    } finally {
      write.mockRestore();
    }
    expect(stackArgs({}, head)).toBe("--stack e2e");
  });
});

describe("npm run plan -- --base <git ref> --json", () => {
  // A repository of its own: the base commit holds the dev stack, the work tree the edited one.
  const repo = join(dir, "repo");
  const file = join(repo, "stacks", "Pulumi.e2e.yaml");
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args], { cwd: repo });
  const plan = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/plan.ts", ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });

  beforeAll(() => {
    mkdirSync(join(repo, "stacks"), { recursive: true });
    writeFileSync(file, DEV);
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "base");
    writeFileSync(file, HEAD);
  });

  it("prints one JSON document with the diff, entries <Kind>/<namespace>/<name>", () => {
    const r = plan("--config", file, "--base", "HEAD", "--json");
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { base: string; summary: string; diff: ReturnType<typeof diffJson> };
    expect(json.base).toBe("HEAD:stacks/Pulumi.e2e.yaml");
    const { create, update, delete: deleted, retain, changes } = json.diff;
    expect(json.summary).toBe(`+${create.length} ~${update.length} -${deleted.length}`);
    for (const key of [...create, ...update, ...deleted, ...retain]) expect(key).toMatch(/^[A-Za-z]+\/[a-z0-9-]*\/[a-z0-9.-]+$/);
    expect(create).toContain("Namespace//creator-dave");
    expect(update).toContain("Deployment/creator-alice/ghost");
    expect(changes["Deployment/creator-alice/ghost"]).toContain("spec.template.spec.containers[ghost].resources.limits.memory");
    expect(retain).toEqual(["Namespace//creator-bob", "PersistentVolumeClaim/creator-bob/data"]);
    expect(deleted).toContain("Deployment/creator-bob/ghost");
  });

  it("under --json an error is a JSON document too: exit 2 for a bad ref, 1 for an invalid base, no stack trace", () => {
    const badRef = plan("--config", file, "--base", "no-such-ref", "--json");
    expect(badRef.status).toBe(2);
    expect(JSON.parse(badRef.stdout)).toEqual({ error: { message: "--base: no-such-ref is neither a file nor a git ref (branch, tag or commit)", exitCode: 2 } });
    const invalid = stackFile("invalid", DEV.replace("plan: standard", "plan: gold"));
    const badBase = plan("--config", file, "--base", invalid, "--json");
    expect(badBase.status).toBe(1);
    const { error } = JSON.parse(badBase.stdout) as { error: { message: string; exitCode: number } };
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(new RegExp(`^base: ${invalid}: 1 problem .*unknown plan "gold"`, "s"));
    for (const r of [badRef, badBase]) expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });
});
